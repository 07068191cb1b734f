/**
 * `ensemble setup gpu` without npm: the installer against a loopback npm registry serving a real
 * tarball (test/fakes/npmRegistry.ts), the integrity and truncation refusals, the offline error,
 * node-llama-cpp finding the unpacked package through the worker's resolve hook, the start-time
 * check, and `--cpu` reaching the workers as an explicit CPU choice.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { configuredGpu } from '../../daemon/backends/llamaCpp';
import { GpuSetupError, installRuntimePackage, INSTALL_MARKER, runtimePackageDir } from '../../daemon/runtime/gpuInstall';
import { checkGpuRuntime, readRuntimeChoice, workerGpuEnv } from '../../daemon/runtime/gpuRuntime';
import { nodeLlamaCppLocation, planGpuSetup } from '../../daemon/runtime/gpuSetup';
import { startFakeRegistry, type FakeRegistry } from '../fakes/npmRegistry';
import { poolConfig, repoRoot, runCli, startTestDaemon, tempHome, tinyPool, writeConfig } from './harness';
import { until } from '../support/until';

const version = nodeLlamaCppLocation().version;
// The package this machine would install; the tests need a platform that has one (Linux or Windows x64).
const cudaPackage = (() => {
  try {
    return planGpuSetup('cuda', { platform: process.platform, arch: process.arch, version }).packageName;
  } catch {
    return null;
  }
})();
const skip = cudaPackage ? false : `no CUDA package of node-llama-cpp for ${process.platform}-${process.arch}`;

function leftovers(home: string): string[] {
  const dir = path.join(home, 'runtime');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/** A port nothing listens on: one a server just had. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('GPU runtime from the npm registry', { skip }, () => {
  let registry: FakeRegistry;
  before(async () => {
    registry = await startFakeRegistry(cudaPackage!, version);
  });
  after(() => registry.close());

  it('installs a tarball whose sha512 matches the published integrity, atomically, into <home>/runtime/<pkg>@<version>', async () => {
    const home = tempHome('gpu-install-');
    const progress: number[] = [];
    const installed = await installRuntimePackage({
      home,
      packageName: cudaPackage!,
      version,
      registry: registry.url,
      onProgress: (p) => progress.push(p.receivedBytes),
    });
    assert.equal(installed.dir, runtimePackageDir(home, cudaPackage!, version));
    assert.equal(installed.integrity, registry.integrity);
    const manifest = JSON.parse(fs.readFileSync(path.join(installed.dir, 'package.json'), 'utf8')) as { name: string; version: string };
    assert.deepEqual([manifest.name, manifest.version], [cudaPackage, version]);
    assert.ok(fs.existsSync(path.join(installed.dir, 'bins', cudaPackage!.split('/')[1]!, 'llama-addon.node')));
    assert.equal(JSON.parse(fs.readFileSync(path.join(installed.dir, INSTALL_MARKER), 'utf8')).integrity, registry.integrity);
    assert.equal(progress.at(-1), registry.tarball.length, 'progress reaches the whole tarball');
    assert.deepEqual(leftovers(home), [path.basename(installed.dir)], 'no temporary folder is left');
  });

  it('refuses a tarball that does not match the published integrity and leaves nothing behind', async () => {
    const home = tempHome('gpu-install-');
    registry.faults.publishIntegrity = `sha512-${crypto.createHash('sha512').update('another tarball').digest('base64')}`;
    try {
      await assert.rejects(
        installRuntimePackage({ home, packageName: cudaPackage!, version, registry: registry.url }),
        (e: unknown) => e instanceof GpuSetupError && /does not match the published integrity.*nothing was installed/.test(e.message),
      );
      assert.deepEqual(leftovers(home), []);
    } finally {
      delete registry.faults.publishIntegrity;
    }
  });

  it('refuses a truncated tarball and leaves nothing behind', async () => {
    const home = tempHome('gpu-install-');
    registry.faults.truncateAt = Math.floor(registry.tarball.length / 2);
    try {
      await assert.rejects(
        installRuntimePackage({ home, packageName: cudaPackage!, version, registry: registry.url }),
        (e: unknown) =>
          e instanceof GpuSetupError && /truncated|got \d+ of \d+ bytes/.test(e.message) && /nothing was installed/.test(e.message),
      );
      assert.deepEqual(leftovers(home), []);
    } finally {
      delete registry.faults.truncateAt;
    }
  });

  it('refuses a version the registry does not have, naming it', async () => {
    const home = tempHome('gpu-install-');
    await assert.rejects(
      installRuntimePackage({ home, packageName: cudaPackage!, version: '0.0.1', registry: registry.url }),
      /has no version 0\.0\.1/,
    );
  });

  it('offline (connection refused): the CLI fails with a clear error and records nothing', async () => {
    const home = tempHome('gpu-install-');
    const port = await closedPort();
    const r = await runCli(home, ['setup', 'gpu', 'cuda', '--registry', `http://127.0.0.1:${port}/`, '--skip-load-check']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
    assert.equal(readRuntimeChoice(home), undefined);
    assert.deepEqual(leftovers(home), []);
  });

  it('the CLI installs with JSON progress and records it; --cpu then tells the workers CPU explicitly', async () => {
    const home = tempHome('gpu-install-');
    const r = await runCli(home, ['setup', 'gpu', 'cuda', '--registry', registry.url, '--skip-load-check', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; totalBytes?: number; dir?: string });
    assert.equal(lines[0]!.type, 'plan');
    assert.ok(lines.some((l) => l.type === 'progress' && l.totalBytes === registry.tarball.length));
    assert.deepEqual(lines.at(-1), { type: 'done', gpu: 'cuda', dir: runtimePackageDir(home, cudaPackage!, version), loaded: null });
    const runtime = checkGpuRuntime(home, version);
    assert.equal(runtime.gpu, 'cuda');
    assert.equal(runtime.warning, undefined);
    assert.equal(workerGpuEnv(runtime).ENSEMBLE_GPU, 'cuda');

    const cpu = await runCli(home, ['setup', 'gpu', '--cpu']);
    assert.equal(cpu.code, 0, cpu.stderr);
    assert.deepEqual(readRuntimeChoice(home), { gpu: 'cpu' });
    const env = workerGpuEnv(checkGpuRuntime(home, version));
    assert.deepEqual(env, { ENSEMBLE_GPU: 'cpu' }, 'no package for the resolve hook');
    assert.equal(configuredGpu(env), false, 'workers load with gpu: false, not auto-detection');
  });

  it("node-llama-cpp's own binary lookup finds the unpacked package through the worker's resolve hook", async () => {
    const home = tempHome('gpu-install-');
    await installRuntimePackage({ home, packageName: cudaPackage!, version, registry: registry.url });
    const r = await runCli(home, ['setup', 'gpu', 'cuda', '--registry', registry.url, '--skip-load-check']);
    assert.equal(r.code, 0, r.stderr);
    const env = workerGpuEnv(checkGpuRuntime(home, version));
    // node-llama-cpp's check, run from its own location, in a process with and without the hook.
    const lookup = pathToFileURL(
      path.join(repoRoot, 'node_modules', 'node-llama-cpp', 'dist', 'bindings', 'utils', 'compileLLamaCpp.js'),
    ).href;
    const hook = pathToFileURL(path.join(repoRoot, 'daemon', 'runtime', 'gpuPackageHook.ts')).href;
    const script = `
      const { registerGpuPackage } = await import(${JSON.stringify(hook)});
      if (process.env.ENSEMBLE_GPU_PACKAGE) registerGpuPackage();
      const { checkWhetherPrebuiltBinariesModuleIsInstalled } = await import(${JSON.stringify(lookup)});
      console.log(JSON.stringify(await checkWhetherPrebuiltBinariesModuleIsInstalled('cuda')));`;
    const run = async (extra: Record<string, string>) => {
      const base = { ...process.env };
      delete base.ENSEMBLE_GPU_PACKAGE;
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...base, ...extra },
      });
      return JSON.parse(stdout.trim()) as boolean;
    };
    assert.equal(await run({}), false, 'without the hook node-llama-cpp does not see a package in the ensemble home');
    assert.equal(await run(env), true, 'with the hook it finds it at its own version');
  });

  it('at start, a recorded runtime that is missing or of another version falls back to the CPU with a warning', async () => {
    const home = tempHome('gpu-install-');
    const r = await runCli(home, ['setup', 'gpu', 'cuda', '--registry', registry.url, '--skip-load-check']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(checkGpuRuntime(home, '9.9.9').gpu, false);
    assert.match(checkGpuRuntime(home, '9.9.9').warning ?? '', /does not match node-llama-cpp 9\.9\.9.*models run on the CPU/);
    fs.rmSync(runtimePackageDir(home, cudaPackage!, version), { recursive: true });
    const missing = checkGpuRuntime(home, version);
    assert.equal(missing.gpu, false);
    assert.match(missing.warning ?? '', /is missing from .*models run on the CPU until "ensemble setup gpu cuda" runs again/);
  });

  /** Starts a daemon on `home`, returns its gpuRuntime status and its first worker's environment (read from /proc: what the process got). */
  async function daemonGpuView(home: string): Promise<{ gpuRuntime: { gpu: string; warning?: string } | undefined; environ: string[] }> {
    const daemon = await startTestDaemon(home);
    const conn = await daemon.connect();
    try {
      const { gpuRuntime } = await conn.rpc.request('pool/status', {});
      const pid = await until('a worker process', async () => (await conn.rpc.request('pool/status', {})).models[0]!.workerPid);
      return { gpuRuntime, environ: fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0') };
    } finally {
      conn.close();
      await daemon.stop();
    }
  }

  const linuxOnly = process.platform === 'linux' ? false : 'reads the worker environment from /proc (Linux only)';
  it(
    'a daemon whose recorded runtime is missing warns and starts its workers on the CPU; after --cpu too, without a warning',
    { skip: linuxOnly },
    async () => {
      const home = tempHome('gpu-daemon-');
      const r = await runCli(home, ['setup', 'gpu', 'cuda', '--registry', registry.url, '--skip-load-check']);
      assert.equal(r.code, 0, r.stderr);
      fs.rmSync(runtimePackageDir(home, cudaPackage!, version), { recursive: true });
      writeConfig(home, poolConfig(tinyPool(home).slice(0, 1)));

      const missing = await daemonGpuView(home);
      assert.equal(missing.gpuRuntime?.gpu, 'cpu');
      assert.match(missing.gpuRuntime?.warning ?? '', /the cuda runtime .*is missing.*models run on the CPU/);
      assert.ok(missing.environ.includes('ENSEMBLE_GPU=cpu'), 'the worker is told CPU explicitly');
      assert.ok(!missing.environ.some((e) => e.startsWith('ENSEMBLE_GPU_PACKAGE=')), 'and no GPU package to resolve');

      assert.equal((await runCli(home, ['setup', 'gpu', '--cpu'])).code, 0);
      const cpu = await daemonGpuView(home);
      assert.deepEqual(cpu.gpuRuntime, { gpu: 'cpu' });
      assert.ok(cpu.environ.includes('ENSEMBLE_GPU=cpu'), 'gpu: false, not auto-detection');
    },
  );
});

/** `ensemble setup gpu` planning (no network: the npm command is planned, not run) and the runtime choice the daemon reads. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { configuredGpu } from '../../daemon/backends/llamaCpp';
import { nodeLlamaCppLocation, planGpuSetup, readRuntimeChoice, writeRuntimeChoice } from '../../daemon/runtime/gpuSetup';

const where = (platform: NodeJS.Platform, arch: string) => ({ platform, arch, version: '3.21.1', installDir: '/opt/ensemble' });

describe('ensemble setup gpu', () => {
  it('installs the prebuilt package matching the platform at the exact node-llama-cpp version, into the directory that holds node-llama-cpp', () => {
    const cuda = planGpuSetup(undefined, where('linux', 'x64'));
    assert.equal(cuda.gpu, 'cuda');
    assert.equal(cuda.packageName, '@node-llama-cpp/linux-x64-cuda');
    assert.deepEqual(cuda.npmArgs, [
      'install',
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--prefix',
      '/opt/ensemble',
      '@node-llama-cpp/linux-x64-cuda@3.21.1',
    ]);
    assert.match(cuda.note, /NVIDIA driver.*"gpuLayers": "auto"/);
    assert.equal(planGpuSetup('vulkan', where('linux', 'x64')).packageName, '@node-llama-cpp/linux-x64-vulkan');
    assert.equal(planGpuSetup('cuda', where('win32', 'x64')).packageName, '@node-llama-cpp/win-x64-cuda');
    const metal = planGpuSetup(undefined, where('darwin', 'arm64'));
    assert.equal(metal.gpu, 'metal');
    assert.equal(metal.packageName, null, 'Metal is in the default package');
    assert.deepEqual(metal.npmArgs, []);
  });

  it('refuses combinations that have no prebuilt runtime, saying what exists', () => {
    assert.throws(() => planGpuSetup('vulkan', where('darwin', 'arm64')), /no vulkan runtime for darwin-arm64: choose metal/);
    assert.throws(() => planGpuSetup('metal', where('linux', 'x64')), /choose cuda or vulkan/);
    assert.throws(() => planGpuSetup(undefined, where('linux', 'riscv64')), /no prebuilt GPU runtime of node-llama-cpp for linux-riscv64/);
  });

  it('finds the node-llama-cpp we run: its exact version and the directory npm must install beside it', () => {
    const loc = nodeLlamaCppLocation();
    assert.equal(loc.version, '3.21.1');
    assert.ok(fs.existsSync(path.join(loc.installDir, 'node_modules', 'node-llama-cpp', 'package.json')));
  });

  it("the runtime choice round-trips through runtime.json and becomes the workers' getLlama({gpu})", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-setup-'));
    try {
      assert.equal(readRuntimeChoice(home), undefined);
      writeRuntimeChoice(home, 'vulkan');
      assert.equal(readRuntimeChoice(home), 'vulkan');
      writeRuntimeChoice(home, 'cpu');
      assert.equal(readRuntimeChoice(home), undefined);
      assert.equal(configuredGpu({ ENSEMBLE_GPU: 'cuda' }), 'cuda');
      assert.equal(configuredGpu({ ENSEMBLE_GPU: 'rocm' }), 'auto');
      assert.equal(configuredGpu({}), 'auto');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('the CLI --dry-run prints the plan and installs nothing', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-setup-'));
    try {
      const cli = path.resolve(import.meta.dirname, '..', '..', 'cli', 'main.ts');
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', cli, 'setup', 'gpu', 'vulkan', '--dry-run'], {
        env: { ...process.env, ENSEMBLE_HOME: home },
      });
      assert.match(
        stdout,
        /^vulkan: @node-llama-cpp\/linux-x64-vulkan 3\.21\.1\n {2}npm install --no-save .* @node-llama-cpp\/linux-x64-vulkan@3\.21\.1\n/,
      );
      assert.equal(readRuntimeChoice(home), undefined, 'nothing chosen on a dry run');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

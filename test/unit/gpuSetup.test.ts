/** `ensemble setup gpu` planning (no network) and the runtime choice the daemon reads. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { configuredGpu } from '../../daemon/backends/llamaCpp';
import { registryUrl, sha512Digests } from '../../daemon/runtime/gpuInstall';
import { checkGpuRuntime, readRuntimeChoice, writeRuntimeChoice } from '../../daemon/runtime/gpuRuntime';
import { nodeLlamaCppLocation, planGpuSetup } from '../../daemon/runtime/gpuSetup';

const where = (platform: NodeJS.Platform, arch: string) => ({ platform, arch, version: '3.21.1' });

describe('ensemble setup gpu', () => {
  it('picks the prebuilt package matching the platform at the exact node-llama-cpp version', () => {
    const cuda = planGpuSetup(undefined, where('linux', 'x64'));
    assert.equal(cuda.gpu, 'cuda');
    assert.equal(cuda.packageName, '@node-llama-cpp/linux-x64-cuda');
    assert.equal(cuda.version, '3.21.1');
    assert.match(cuda.note, /NVIDIA driver.*"gpuLayers": "auto"/);
    assert.equal(planGpuSetup('vulkan', where('linux', 'x64')).packageName, '@node-llama-cpp/linux-x64-vulkan');
    assert.equal(planGpuSetup('cuda', where('win32', 'x64')).packageName, '@node-llama-cpp/win-x64-cuda');
    const metal = planGpuSetup(undefined, where('darwin', 'arm64'));
    assert.equal(metal.gpu, 'metal');
    assert.equal(metal.packageName, null, 'Metal is in the default package');
    assert.throws(() => planGpuSetup('cuda', where('linux', 'arm64')), /no prebuilt GPU runtime of node-llama-cpp for linux-arm64/);
  });

  it('refuses combinations that have no prebuilt runtime, saying what exists', () => {
    assert.throws(() => planGpuSetup('vulkan', where('darwin', 'arm64')), /no vulkan runtime for darwin-arm64: choose metal/);
    assert.throws(() => planGpuSetup('metal', where('linux', 'x64')), /choose cuda or vulkan/);
    assert.throws(() => planGpuSetup(undefined, where('linux', 'riscv64')), /no prebuilt GPU runtime of node-llama-cpp for linux-riscv64/);
  });

  it('finds the node-llama-cpp we run: its exact version', () => {
    assert.equal(nodeLlamaCppLocation().version, '3.21.1');
  });

  it('reads the registry as npm does and accepts only sha512 integrity', () => {
    assert.equal(registryUrl(undefined, {}), 'https://registry.npmjs.org/');
    assert.equal(registryUrl(undefined, { npm_config_registry: 'https://npm.example.com/repo' }), 'https://npm.example.com/repo/');
    assert.equal(registryUrl('http://127.0.0.1:4873', { npm_config_registry: 'https://x.example/' }), 'http://127.0.0.1:4873/');
    assert.throws(() => registryUrl('file:///tmp/registry'), /expected an http\(s\) URL/);
    assert.deepEqual(sha512Digests('sha1-abc= sha512-AbC+/9== sha512-Zz?opt'), ['AbC+/9==', 'Zz']);
    assert.deepEqual(sha512Digests('sha1-deadbeef'), []);
  });

  it("the runtime choice round-trips through runtime.json and becomes the workers' getLlama({gpu})", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-setup-'));
    try {
      assert.equal(readRuntimeChoice(home), undefined);
      assert.deepEqual(checkGpuRuntime(home, '3.21.1'), { gpu: 'auto' }, 'nothing chosen: node-llama-cpp detects');
      writeRuntimeChoice(home, { gpu: 'metal' });
      assert.deepEqual(readRuntimeChoice(home), { gpu: 'metal' });
      writeRuntimeChoice(home, { gpu: 'cpu' });
      assert.deepEqual(checkGpuRuntime(home, '3.21.1'), { gpu: false });
      fs.writeFileSync(path.join(home, 'runtime.json'), '{"gpu":"cuda"}');
      assert.match(checkGpuRuntime(home, '3.21.1').warning ?? '', /not a valid runtime choice; models run on the CPU/);
      assert.equal(configuredGpu({ ENSEMBLE_GPU: 'cpu' }), false);
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
        env: { ...process.env, ENSEMBLE_HOME: home, npm_config_registry: '' },
      });
      assert.match(
        stdout,
        /^vulkan: @node-llama-cpp\/linux-x64-vulkan 3\.21\.1\n {2}from https:\/\/registry\.npmjs\.org\/\n {2}into .*runtime/,
      );
      assert.equal(readRuntimeChoice(home), undefined, 'nothing chosen on a dry run');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

/**
 * common/llamaBinaries.ts: the llama.cpp binary package each supported platform loads with the
 * `gpu` option the backend really passes, checked against node-llama-cpp's own gpu-option
 * functions, the package names its loader imports, and the packages' os/cpu in package-lock.json.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultBinaryPackage, llamaGpuOption, prebuiltPackage, VSIX_TARGETS, type LlamaGpu } from '../../common/llamaBinaries';

type GpuTypesForOption = (gpu: LlamaGpu, where: { platform: string; arch: string }) => Promise<Array<Exclude<LlamaGpu, 'auto'>>>;

const nodeLlamaCpp = import.meta.resolve('node-llama-cpp');
// Not in node-llama-cpp's exports: loaded by file URL, as its getLlama loads it.
const { getGpuTypesToUseForOption } = (await import(new URL('./bindings/utils/getGpuTypesToUseForOption.js', nodeLlamaCpp).href)) as {
  getGpuTypesToUseForOption: GpuTypesForOption;
};
const loaderSource = fs.readFileSync(fileURLToPath(new URL('./bindings/utils/compileLLamaCpp.js', nodeLlamaCpp)), 'utf8');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, { optional?: boolean; os?: string[]; cpu?: string[]; optionalDependencies?: Record<string, string> }>;
};
/** node-llama-cpp's names for Node's platforms. */
const nlcPlatform = (p: string) => (p === 'darwin' ? 'mac' : p === 'win32' ? 'win' : p);

const expected: Record<string, string> = {
  'linux-x64': '@node-llama-cpp/linux-x64',
  'linux-arm64': '@node-llama-cpp/linux-arm64',
  'darwin-arm64': '@node-llama-cpp/mac-arm64-metal',
  'darwin-x64': '@node-llama-cpp/mac-x64',
  'win32-x64': '@node-llama-cpp/win-x64',
  'win32-arm64': '@node-llama-cpp/win-arm64',
};

/** The package node-llama-cpp ends up loading for a model with this many GPU layers, on a machine without CUDA or Vulkan. */
async function resolvedPackage(platform: string, arch: string, gpuLayers: number | 'auto', configured: LlamaGpu = 'auto') {
  const option = llamaGpuOption(platform, arch, gpuLayers, configured);
  // "auto" would probe this machine's GPUs; the cases here never pass it.
  assert.notEqual(option, 'auto');
  const tried = await getGpuTypesToUseForOption(option, { platform: nlcPlatform(platform), arch });
  return { option, tried, pkg: prebuiltPackage(platform, arch, tried[0]!) };
}

describe('llama.cpp binary per platform', () => {
  for (const { target, platform, arch } of VSIX_TARGETS) {
    it(`${target}: a model with gpuLayers 0 loads ${expected[target]}`, async () => {
      const { pkg, tried } = await resolvedPackage(platform, arch, 0);
      assert.equal(tried.length, 1, `node-llama-cpp would try ${JSON.stringify(tried)}`);
      assert.equal(pkg, expected[target]);
      assert.equal(defaultBinaryPackage(platform, arch), expected[target]);
    });

    it(`${target}: node-llama-cpp's loader imports ${expected[target]}, and the lock has it as its optional dependency for ${platform}/${arch}`, () => {
      const name = expected[target]!;
      assert.ok(loaderSource.includes(`import("${name}")`), `node-llama-cpp's loader does not import ${name}`);
      assert.ok(
        lock.packages['node_modules/node-llama-cpp']?.optionalDependencies?.[name],
        `${name} is not an optional dependency of node-llama-cpp`,
      );
      const entry = lock.packages[`node_modules/${name}`];
      assert.ok(entry, `${name} is missing from package-lock.json`);
      assert.equal(entry.optional, true);
      assert.ok(entry.os?.includes(platform), `${name} os ${JSON.stringify(entry.os)}`);
      assert.ok(entry.cpu?.includes(arch), `${name} cpu ${JSON.stringify(entry.cpu)}`);
    });
  }

  it('Apple silicon asks for Metal even with no GPU layers: with gpu false node-llama-cpp has no package for it', async () => {
    assert.equal(prebuiltPackage('darwin', 'arm64', false), undefined);
    const { option, pkg } = await resolvedPackage('darwin', 'arm64', 0);
    assert.equal(option, 'metal');
    assert.equal(pkg, '@node-llama-cpp/mac-arm64-metal');
  });

  it('CPU-only platforms keep the CPU build when nothing is offloaded, even with a GPU backend set up', async () => {
    for (const [platform, arch] of [
      ['linux', 'x64'],
      ['win32', 'x64'],
      ['darwin', 'x64'],
    ] as const) {
      assert.equal(llamaGpuOption(platform, arch, 0, 'cuda'), false, `${platform}-${arch}`);
    }
  });

  it('a model that offloads asks for the configured GPU backend, whose package is the GPU build', async () => {
    assert.equal(llamaGpuOption('linux', 'x64', 'auto', 'cuda'), 'cuda');
    assert.equal((await resolvedPackage('linux', 'x64', 20, 'cuda')).pkg, '@node-llama-cpp/linux-x64-cuda');
    assert.equal((await resolvedPackage('win32', 'x64', 20, 'vulkan')).pkg, '@node-llama-cpp/win-x64-vulkan');
  });

  it('a platform node-llama-cpp publishes nothing for has no package', () => {
    assert.equal(defaultBinaryPackage('freebsd', 'x64'), undefined);
    assert.equal(defaultBinaryPackage('win32', 'ia32'), undefined);
  });
});

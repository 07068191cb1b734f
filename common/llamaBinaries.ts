/**
 * Which llama.cpp binary a platform runs, as node-llama-cpp 3.21.1 resolves it. node-llama-cpp
 * picks a prebuilt package from the platform, the CPU architecture and the `gpu` option given to
 * `getLlama`; the mapping below mirrors its `getPrebuiltBinariesPackageDirectoryForBuildOptions`
 * (not exported), and test/unit/llamaBinaries.test.ts checks it against node-llama-cpp's own
 * gpu-option functions and the packages' `os`/`cpu` fields in package-lock.json. Pure: the
 * packaging script and the daemon both use it.
 */

/** The `gpu` option of node-llama-cpp's `getLlama`. */
export type LlamaGpu = 'auto' | 'cuda' | 'vulkan' | 'metal' | false;

/** The platforms Ensemble ships a .vsix for: VS Code's target name and Node's platform and arch. */
export const VSIX_TARGETS = [
  { target: 'linux-x64', platform: 'linux', arch: 'x64' },
  { target: 'linux-arm64', platform: 'linux', arch: 'arm64' },
  { target: 'darwin-arm64', platform: 'darwin', arch: 'arm64' },
  { target: 'darwin-x64', platform: 'darwin', arch: 'x64' },
  { target: 'win32-x64', platform: 'win32', arch: 'x64' },
  { target: 'win32-arm64', platform: 'win32', arch: 'arm64' },
] as const;
export type VsixTarget = (typeof VSIX_TARGETS)[number];

/**
 * The `gpu` option the llama.cpp backend passes. Apple silicon has one build only, Metal, which
 * node-llama-cpp loads only when asked for "metal" (with `gpu: false` it finds no binary at all);
 * Metal needs no setup there, and a model with `gpuLayers: 0` still computes on the CPU with it.
 * Everywhere else a model that offloads nothing asks for the CPU build, and one that offloads asks
 * for the GPU backend `ensemble setup gpu` chose (else node-llama-cpp's "auto").
 */
export function llamaGpuOption(platform: string, arch: string, gpuLayers: number | 'auto', configured: LlamaGpu): LlamaGpu {
  if (platform === 'darwin' && arch === 'arm64') return 'metal';
  if (gpuLayers === 0) return false;
  return configured;
}

/**
 * The npm package holding the prebuilt binary node-llama-cpp loads for this platform, arch and
 * resolved gpu type (what "auto" became); undefined when it has none. Names in node-llama-cpp's
 * own terms: it calls darwin "mac" and win32 "win".
 */
export function prebuiltPackage(platform: string, arch: string, gpu: Exclude<LlamaGpu, 'auto'>): string | undefined {
  const p = (name: string) => `@node-llama-cpp/${name}`;
  if (platform === 'darwin') {
    if (arch === 'arm64' && gpu === 'metal') return p('mac-arm64-metal');
    if (arch === 'x64' && gpu === false) return p('mac-x64');
    return undefined;
  }
  if (platform === 'linux' || platform === 'win32') {
    const os = platform === 'linux' ? 'linux' : 'win';
    if (arch === 'x64') {
      if (gpu === 'cuda') return p(`${os}-x64-cuda`);
      if (gpu === 'vulkan') return p(`${os}-x64-vulkan`);
      return gpu === false ? p(`${os}-x64`) : undefined;
    }
    // One build for the whole arch, whatever the gpu option.
    if (arch === 'arm64') return p(`${os}-arm64`);
    if (platform === 'linux' && arch === 'arm') return p('linux-armv7l');
    if (platform === 'linux' && arch === 'riscv64') return p('linux-riscv64');
  }
  return undefined;
}

/**
 * The package a model with no GPU offload loads on this platform (the one every install and
 * every .vsix must hold): the CPU build, or Metal on Apple silicon.
 */
export function defaultBinaryPackage(platform: string, arch: string): string | undefined {
  const gpu = llamaGpuOption(platform, arch, 0, 'auto');
  return gpu === 'auto' ? undefined : prebuiltPackage(platform, arch, gpu);
}

/** The words for "no llama.cpp binary fits here", the same in the daemon's log, its status and a model's health. */
export function noRuntimeMessage(platform: string, arch: string, detail: string): string {
  return `no llama.cpp runtime for ${platform}-${arch}: ${detail}`;
}

/**
 * Which of node-llama-cpp's prebuilt GPU packages fits this platform, at exactly the node-llama-cpp
 * version we run (its binaries and its JS must match: node-llama-cpp ignores a binary package of
 * another version). No compiler, no CUDA toolkit: the packages carry the built llama.cpp; the
 * NVIDIA driver (CUDA) or a Vulkan driver must be installed (docs/gpu.md).
 *
 * The names are node-llama-cpp 3.21.1's (dist/bindings/utils/compileLLamaCpp.js): only x64 Linux
 * and Windows have CUDA and Vulkan builds; linux-arm64 and win-arm64 are CPU-only packages, and
 * Apple silicon's Metal is the default package itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type GpuKind = 'cuda' | 'vulkan' | 'metal';

export interface GpuSetupPlan {
  gpu: GpuKind;
  /** The npm package to install, e.g. @node-llama-cpp/linux-x64-cuda; null when the default package already has it (Metal). */
  packageName: string | null;
  version: string;
  note: string;
}

const PACKAGES: Record<string, Partial<Record<GpuKind, string | null>>> = {
  'linux-x64': { cuda: '@node-llama-cpp/linux-x64-cuda', vulkan: '@node-llama-cpp/linux-x64-vulkan' },
  'win32-x64': { cuda: '@node-llama-cpp/win-x64-cuda', vulkan: '@node-llama-cpp/win-x64-vulkan' },
  // Apple silicon: Metal is built into the default package.
  'darwin-arm64': { metal: null },
};

/** node-llama-cpp's own version and its entry (file URL). */
export function nodeLlamaCppLocation(): { version: string; entry: string } {
  // ESM-only package without "./package.json" in its exports: resolve its entry, walk up to its package.json.
  const entry = import.meta.resolve('node-llama-cpp');
  let dir = path.dirname(fileURLToPath(entry));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      const json = JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string; version: string };
      if (json.name === 'node-llama-cpp') return { version: json.version, entry };
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find node-llama-cpp's package.json above ${entry}`);
    dir = up;
  }
}

export function planGpuSetup(
  requested: GpuKind | undefined,
  where: { platform: NodeJS.Platform; arch: string; version: string },
): GpuSetupPlan {
  const key = `${where.platform}-${where.arch}`;
  const available = PACKAGES[key];
  if (!available) {
    throw new Error(
      `no prebuilt GPU runtime of node-llama-cpp for ${key}; models run on the CPU (node-llama-cpp can build from source for other GPUs: see its docs)`,
    );
  }
  const kinds = Object.keys(available) as GpuKind[];
  const gpu = requested ?? kinds[0]!;
  if (!Object.hasOwn(available, gpu)) throw new Error(`no ${gpu} runtime for ${key}: choose ${kinds.join(' or ')}`);
  const driver =
    gpu === 'cuda'
      ? 'the NVIDIA driver'
      : gpu === 'vulkan'
        ? "a Vulkan driver (e.g. mesa-vulkan-drivers, or your GPU vendor's)"
        : 'nothing more';
  return {
    gpu,
    packageName: available[gpu] ?? null,
    version: where.version,
    note: `${gpu} needs ${driver}; then set "gpuLayers": "auto" on the models to offload (ensemble plan shows where they go)`,
  };
}

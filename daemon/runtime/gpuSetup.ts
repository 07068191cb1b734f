/**
 * `ensemble setup gpu`: which of node-llama-cpp's prebuilt GPU packages fits this platform, and the
 * npm command that installs it, at exactly the node-llama-cpp version we run (its binaries and
 * its JS must match). No compiler, no CUDA toolkit: the packages carry the built llama.cpp; the
 * NVIDIA driver (CUDA) or a Vulkan driver must be installed.
 *
 * Where: into the directory that holds our `node_modules/node-llama-cpp` (the repo, the npm
 * global install, or the unpacked vsix), with `--no-save`. node-llama-cpp finds its binaries by
 * `import("@node-llama-cpp/<platform>-<arch>-<gpu>")` from its own location, so a package
 * installed anywhere else (e.g. the ensemble home) would not be found without a module loader
 * hook in every worker. The choice is written to `runtime.json` in the ensemble home; the daemon
 * passes it to its workers (ENSEMBLE_GPU), which then load with `getLlama({ gpu })`.
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
  /** Where npm installs it: the directory whose node_modules holds node-llama-cpp. */
  installDir: string;
  /** The command, for people and for --dry-run. */
  npmArgs: string[];
  note: string;
}

const PACKAGES: Record<string, Partial<Record<GpuKind, string | null>>> = {
  'linux-x64': { cuda: '@node-llama-cpp/linux-x64-cuda', vulkan: '@node-llama-cpp/linux-x64-vulkan' },
  'win32-x64': { cuda: '@node-llama-cpp/win-x64-cuda', vulkan: '@node-llama-cpp/win-x64-vulkan' },
  // Apple silicon: Metal is built into the default package.
  'darwin-arm64': { metal: null },
};

/** node-llama-cpp's own version, its entry (file URL), and the directory that holds its node_modules. */
export function nodeLlamaCppLocation(): { version: string; installDir: string; entry: string } {
  // ESM-only package without "./package.json" in its exports: resolve its entry, walk up to its package.json.
  const entry = import.meta.resolve('node-llama-cpp');
  let dir = path.dirname(fileURLToPath(entry));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      const json = JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string; version: string };
      if (json.name === 'node-llama-cpp') return { version: json.version, entry, installDir: path.dirname(path.dirname(dir)) };
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find node-llama-cpp's package.json above ${entry}`);
    dir = up;
  }
}

export function planGpuSetup(
  requested: GpuKind | undefined,
  where: { platform: NodeJS.Platform; arch: string; version: string; installDir: string },
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
  const packageName = available[gpu] ?? null;
  const spec = packageName ? `${packageName}@${where.version}` : undefined;
  const npmArgs = spec ? ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', where.installDir, spec] : [];
  const driver =
    gpu === 'cuda'
      ? 'the NVIDIA driver'
      : gpu === 'vulkan'
        ? "a Vulkan driver (e.g. mesa-vulkan-drivers, or your GPU vendor's)"
        : 'nothing more';
  return {
    gpu,
    packageName,
    version: where.version,
    installDir: where.installDir,
    npmArgs,
    note: `${gpu} needs ${driver}; then set "gpuLayers": "auto" on the models to offload (ensemble plan shows where they go)`,
  };
}

/** runtime.json in the ensemble home: the GPU backend workers load with. */
export function writeRuntimeChoice(home: string, gpu: GpuKind | 'cpu'): void {
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(path.join(home, 'runtime.json'), `${JSON.stringify({ gpu }, null, 2)}\n`);
}

export function readRuntimeChoice(home: string): GpuKind | undefined {
  try {
    const v = (JSON.parse(fs.readFileSync(path.join(home, 'runtime.json'), 'utf8')) as { gpu?: unknown }).gpu;
    return v === 'cuda' || v === 'vulkan' || v === 'metal' ? v : undefined;
  } catch {
    return undefined;
  }
}

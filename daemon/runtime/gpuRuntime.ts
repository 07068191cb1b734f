/**
 * The GPU runtime choice (`runtime.json` in the ensemble home) and its check at every daemon start.
 *
 * `ensemble setup gpu` records what it installed (gpuInstall.ts): the backend, and for CUDA and
 * Vulkan the package folder with the integrity it was verified against. At start the daemon checks
 * that the folder is still there, that it holds the package at node-llama-cpp's own version and
 * that its marker names the same integrity; only then do workers load that backend. Anything else
 * (deleted folder, node-llama-cpp updated since, a hand-edited runtime.json) falls back to the CPU
 * with a warning the daemon logs and `pool/status` shows, instead of a worker that fails to load.
 * `--cpu` is an explicit choice: workers are told `gpu: false`, not left to auto-detection.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { INSTALL_MARKER } from './gpuInstall';

const InstalledPackage = z.object({ name: z.string(), version: z.string(), dir: z.string(), integrity: z.string() });

const RuntimeChoice = z.discriminatedUnion('gpu', [
  z.object({ gpu: z.literal('cpu') }),
  z.object({ gpu: z.literal('metal') }),
  z.object({ gpu: z.enum(['cuda', 'vulkan']), package: InstalledPackage }),
]);
export type RuntimeChoice = z.infer<typeof RuntimeChoice>;

/** What workers load with: `false` is the CPU, `auto` lets node-llama-cpp detect (nothing chosen yet). */
export interface GpuRuntime {
  gpu: 'auto' | false | 'metal' | 'cuda' | 'vulkan';
  /** For CUDA and Vulkan: the package name and the file URL of its entry, for the worker's resolve hook. */
  package?: { name: string; entry: string };
  /** Why the chosen GPU backend is not used (the CPU is used instead). */
  warning?: string;
}

export function runtimeFile(home: string): string {
  return path.join(home, 'runtime.json');
}

export function writeRuntimeChoice(home: string, choice: RuntimeChoice): void {
  fs.mkdirSync(home, { recursive: true });
  const file = runtimeFile(home);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(choice, null, 2)}\n`);
  fs.renameSync(temp, file);
}

/** The recorded choice; undefined when there is none (or it cannot be read, which `checkGpuRuntime` reports). */
export function readRuntimeChoice(home: string): RuntimeChoice | undefined {
  try {
    return RuntimeChoice.parse(JSON.parse(fs.readFileSync(runtimeFile(home), 'utf8')));
  } catch {
    return undefined;
  }
}

/** The runtime workers use, checked against what is on disk and the node-llama-cpp version in use. */
export function checkGpuRuntime(home: string, nodeLlamaCppVersion: string): GpuRuntime {
  if (!fs.existsSync(runtimeFile(home))) return { gpu: 'auto' };
  const choice = readRuntimeChoice(home);
  if (!choice)
    return {
      gpu: false,
      warning: `${runtimeFile(home)} is not a valid runtime choice; models run on the CPU (run "ensemble setup gpu" again)`,
    };
  if (choice.gpu === 'cpu') return { gpu: false };
  if (choice.gpu === 'metal') return { gpu: 'metal' };
  const problem = packageProblem(choice.package, nodeLlamaCppVersion);
  if (problem)
    return {
      gpu: false,
      warning: `the ${choice.gpu} runtime ${problem}; models run on the CPU until "ensemble setup gpu ${choice.gpu}" runs again`,
    };
  return { gpu: choice.gpu, package: { name: choice.package.name, entry: packageEntry(choice.package.dir) } };
}

function packageProblem(pkg: z.infer<typeof InstalledPackage>, nodeLlamaCppVersion: string): string | undefined {
  if (pkg.version !== nodeLlamaCppVersion)
    return `(${pkg.name}@${pkg.version}) does not match node-llama-cpp ${nodeLlamaCppVersion}, which ignores binaries of another version`;
  let manifest: { name?: unknown; version?: unknown };
  let marker: { integrity?: unknown };
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(pkg.dir, 'package.json'), 'utf8')) as typeof manifest;
    marker = JSON.parse(fs.readFileSync(path.join(pkg.dir, INSTALL_MARKER), 'utf8')) as typeof marker;
  } catch {
    return `is missing from ${pkg.dir}`;
  }
  if (manifest.name !== pkg.name || manifest.version !== pkg.version)
    return `in ${pkg.dir} holds ${String(manifest.name)}@${String(manifest.version)}, not ${pkg.name}@${pkg.version}`;
  if (marker.integrity !== pkg.integrity) return `in ${pkg.dir} was not installed by "ensemble setup gpu" (its integrity marker differs)`;
  if (!fs.existsSync(fileURLToPath(packageEntry(pkg.dir)))) return `in ${pkg.dir} has no entry module`;
  return undefined;
}

/** The package's ESM entry, as its package.json names it (node-llama-cpp's binary packages: dist/index.js). */
export function packageEntry(dir: string): string {
  let main = 'dist/index.js';
  try {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { main?: unknown };
    if (typeof json.main === 'string' && !json.main.includes('..')) main = json.main;
  } catch {
    // packageProblem reports an unreadable package.json.
  }
  return pathToFileURL(path.join(dir, main)).href;
}

/** The environment the daemon hands its workers: the backend, and the package their resolve hook maps. */
export function workerGpuEnv(runtime: GpuRuntime): Record<string, string> {
  const gpu = runtime.gpu === false ? 'cpu' : runtime.gpu;
  return {
    ENSEMBLE_GPU: gpu,
    ...(runtime.package ? { ENSEMBLE_GPU_PACKAGE: JSON.stringify(runtime.package) } : {}),
  };
}

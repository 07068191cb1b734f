/**
 * The one GPU setup flow, behind `ensemble setup gpu` and the extension's "Ensemble: Set Up GPU"
 * (which runs that command with `--json`): plan the package for this platform, install it into
 * the ensemble home (gpuInstall.ts: npm registry, integrity, tar), check that it loads in a child
 * process (native code stays out of the caller; a missing driver fails there, not in a worker),
 * and only then record it in runtime.json for the next daemon start.
 */
import { spawn } from 'node:child_process';
import type { Dispatcher } from 'undici';
import { installRuntimePackage, type InstalledPackage, type InstallProgress } from './gpuInstall';
import { GPU_PACKAGE_HOOK_URL } from './gpuPackageHook';
import { packageEntry, writeRuntimeChoice } from './gpuRuntime';
import { nodeLlamaCppLocation, planGpuSetup, type GpuKind, type GpuSetupPlan } from './gpuSetup';

export interface SetUpGpuOptions {
  home: string;
  gpu?: GpuKind;
  registry?: string;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  onProgress?: (p: InstallProgress) => void;
  /** Load the runtime once before recording it (default true); off to set up before the driver is installed. */
  loadCheck?: boolean;
  platform?: NodeJS.Platform;
  arch?: string;
}

export interface SetUpGpuResult {
  plan: GpuSetupPlan;
  installed?: InstalledPackage;
  /** What node-llama-cpp reported when it loaded the runtime (device names, VRAM). */
  loaded?: string;
}

export function gpuPlanHere(gpu: GpuKind | undefined, where: { platform?: NodeJS.Platform; arch?: string } = {}): GpuSetupPlan {
  return planGpuSetup(gpu, {
    platform: where.platform ?? process.platform,
    arch: where.arch ?? process.arch,
    version: nodeLlamaCppLocation().version,
  });
}

export async function setUpGpu(opts: SetUpGpuOptions): Promise<SetUpGpuResult> {
  const plan = gpuPlanHere(opts.gpu, opts);
  let installed: InstalledPackage | undefined;
  if (plan.packageName) {
    installed = await installRuntimePackage({
      home: opts.home,
      packageName: plan.packageName,
      version: plan.version,
      registry: opts.registry,
      dispatcher: opts.dispatcher,
      signal: opts.signal,
      onProgress: opts.onProgress,
    });
  }
  let loaded: string | undefined;
  if (opts.loadCheck !== false) loaded = await loadsHere(plan.gpu, installed, opts.signal);
  writeRuntimeChoice(opts.home, installed ? { gpu: plan.gpu as 'cuda' | 'vulkan', package: installed } : { gpu: 'metal' });
  return { plan, installed, loaded };
}

/** Loads node-llama-cpp with the runtime in a child process; resolves with what it found, rejects with why it did not load. */
function loadsHere(gpu: GpuKind, installed: InstalledPackage | undefined, signal?: AbortSignal): Promise<string> {
  const entry = nodeLlamaCppLocation().entry;
  const pkg = installed ? { name: installed.name, entry: packageEntry(installed.dir) } : null;
  const script = `
    const pkg = ${JSON.stringify(pkg)};
    if (pkg) (await import('node:module')).register(${JSON.stringify(GPU_PACKAGE_HOOK_URL)}, { data: pkg });
    try {
      const { getLlama } = await import(${JSON.stringify(entry)});
      const llama = await getLlama({ gpu: ${JSON.stringify(gpu)}, build: 'never', progressLogs: false });
      const vram = await llama.getVramState();
      console.log(llama.gpu + ' (' + (await llama.getGpuDeviceNames()).join(', ') + '), ' + (vram.total / 2 ** 30).toFixed(1) + ' GiB of VRAM');
    } catch (e) { console.error(e && e.message ? e.message : String(e)); process.exit(1); }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      signal,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: process.versions.electron ? '1' : undefined },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4_000)));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4_000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out.trim());
      else
        reject(
          new Error(
            `the ${gpu} runtime is installed but does not load here (${err.trim() || `exit ${code}`}); is the driver installed? ` +
              'Models keep running on the CPU (run again with --skip-load-check to record it anyway)',
          ),
        );
    });
  });
}

/**
 * Whether this machine has a llama.cpp binary node-llama-cpp can load, checked the way
 * node-llama-cpp checks it (import the platform's prebuilt package, ask it for its bins folder and
 * version) but at daemon start, so a missing binary is reported at once and in words ("no llama.cpp
 * runtime for darwin-x64: ...") rather than as a NoBinaryFoundError at the first model load.
 */
import { defaultBinaryPackage, noRuntimeMessage } from '../../common/llamaBinaries';
import { EnsembleError } from '../../protocol/errors';

export interface LlamaRuntimeCheck {
  /** The prebuilt package this platform loads for models that do not offload. */
  package?: string;
  /** Why no model can load here; absent when the binary is present. */
  problem?: string;
}

interface BinariesModule {
  getBinsDir?: () => { binsDir?: string; packageVersion?: string };
}

/** What `import(name)` gives; a parameter so tests can stand in a package that is absent or stale. */
export type ImportModule = (name: string) => Promise<unknown>;

export async function checkLlamaRuntime(
  where: {
    platform?: string;
    arch?: string;
    importModule?: ImportModule;
    /** node-llama-cpp's own version: it ignores a binary package of another (unchecked when absent). */
    expectedVersion?: string;
  } = {},
): Promise<LlamaRuntimeCheck> {
  const { platform = process.platform, arch = process.arch, importModule = (name) => import(name) } = where;
  const { expectedVersion } = where;
  const pkg = defaultBinaryPackage(platform, arch);
  if (!pkg) return { problem: noRuntimeMessage(platform, arch, 'node-llama-cpp publishes no prebuilt binary for it') };
  let mod: BinariesModule;
  try {
    mod = (await importModule(pkg)) as BinariesModule;
  } catch {
    return {
      package: pkg,
      problem: noRuntimeMessage(platform, arch, `${pkg} is not installed (install the .vsix built for this platform)`),
    };
  }
  const info = typeof mod?.getBinsDir === 'function' ? mod.getBinsDir() : undefined;
  if (!info?.binsDir) return { package: pkg, problem: noRuntimeMessage(platform, arch, `${pkg} holds no binaries`) };
  if (expectedVersion && info.packageVersion !== expectedVersion) {
    // node-llama-cpp ignores a binary package whose version differs from its own.
    const detail = `${pkg} is version ${String(info.packageVersion)}, node-llama-cpp needs ${expectedVersion}`;
    return { package: pkg, problem: noRuntimeMessage(platform, arch, detail) };
  }
  return { package: pkg };
}

let hostCheck: Promise<LlamaRuntimeCheck> | undefined;

/**
 * Rejects with the reason when this machine has no binary for models that do not offload, so a
 * model's health says "no llama.cpp runtime for ..." rather than node-llama-cpp's lookup error.
 */
export async function requireDefaultLlamaRuntime(): Promise<void> {
  hostCheck ??= checkLlamaRuntime();
  const { problem } = await hostCheck;
  if (problem) throw new EnsembleError('ModelUnavailable', problem);
}

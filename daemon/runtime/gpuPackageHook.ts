/**
 * Points node-llama-cpp at the GPU package `ensemble setup gpu` unpacked into the ensemble home.
 *
 * node-llama-cpp 3.21.1 finds its prebuilt binaries only by `import("@node-llama-cpp/<name>")`
 * from its own location (getPrebuiltBinariesPackageDirectoryForBuildOptions in
 * dist/bindings/utils/compileLLamaCpp.js); no getLlama option takes a binary path, and NODE_PATH
 * does not apply to ESM imports. A module resolve hook (`module.register`, Node's supported loader
 * API) that maps exactly that one specifier to the unpacked package's entry is the smallest change:
 * the package then reports its own `bins` folder and version, which node-llama-cpp checks as usual.
 * Every other specifier resolves untouched.
 */
import { register } from 'node:module';
import { z } from 'zod';

const GpuPackage = z.object({ name: z.string().regex(/^@node-llama-cpp\/[a-z0-9-]+$/), entry: z.string().startsWith('file:') });

// The hook runs on Node's loader thread, which cannot import our bundle: it is a self-contained data: module.
const HOOK = `
let mapped;
export function initialize(data) { mapped = data; }
export async function resolve(specifier, context, next) {
  if (mapped && specifier === mapped.name) return { url: mapped.entry, shortCircuit: true };
  return next(specifier, context);
}`;

/** The hook as a module URL, for `module.register` here or in a child process that checks the runtime loads. */
export const GPU_PACKAGE_HOOK_URL = `data:text/javascript,${encodeURIComponent(HOOK)}`;

/** Registers the hook when the daemon named a package (ENSEMBLE_GPU_PACKAGE); returns the package name, or undefined. */
export function registerGpuPackage(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env.ENSEMBLE_GPU_PACKAGE;
  if (!raw) return undefined;
  const pkg = GpuPackage.parse(JSON.parse(raw));
  register(GPU_PACKAGE_HOOK_URL, { data: pkg });
  return pkg.name;
}

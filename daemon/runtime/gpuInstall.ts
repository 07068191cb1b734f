/**
 * Installs one npm package (node-llama-cpp's prebuilt GPU runtime) without npm or node on PATH:
 * the registry's packument gives the tarball and its published `dist.integrity` (SRI sha512); the
 * tarball is hashed while it streams into `tar` (the npm `tar` library, which refuses absolute and
 * `..` paths), into a temporary folder that is renamed into place only when the digest matches.
 * So a bad, truncated or interrupted download leaves nothing behind.
 *
 * The place is `<ensemble home>/runtime/<name>@<version>/` (the scope's slash becomes `+`), which
 * survives extension updates (an install beside the extension's own node_modules would be deleted
 * by the next update) and installs no devDependencies (the package has no dependencies at all).
 * A marker file in the folder records what was verified; `gpuRuntime.ts` checks it at every start.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { x as untar } from 'tar';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { sharedDownloadDispatcher } from '../net/downloadAgent';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';
/** The marker in an installed package's folder: what was verified, against which published integrity. */
export const INSTALL_MARKER = '.ensemble-install.json';
/** Packuments of these packages are a few KB per version; anything this big is not one. */
const MAX_PACKUMENT_BYTES = 16 * 2 ** 20;
/** The largest GPU runtime (linux CUDA) is a few hundred MB; a bound on what a hostile server can make us write. */
const MAX_TARBALL_BYTES = 2 * 2 ** 30;

export class GpuSetupError extends Error {}

export interface InstallProgress {
  receivedBytes: number;
  totalBytes: number | null;
}

export interface InstallOptions {
  home: string;
  packageName: string;
  version: string;
  /** The npm registry (npm config convention: `npm_config_registry`), default https://registry.npmjs.org/. */
  registry?: string;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  onProgress?: (p: InstallProgress) => void;
}

export interface InstalledPackage {
  name: string;
  version: string;
  /** The unpacked package folder (holds its package.json). */
  dir: string;
  /** The published SRI integrity the tarball matched. */
  integrity: string;
}

const Packument = z.object({
  versions: z.record(
    z.string(),
    z.object({ dist: z.object({ tarball: z.url({ protocol: /^https?$/ }), integrity: z.string().max(2_000).optional() }) }),
  ),
});

/** The registry to use: an explicit one, else npm's environment convention, else the public registry. */
export function registryUrl(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = explicit || env.npm_config_registry || env.NPM_CONFIG_REGISTRY || DEFAULT_REGISTRY;
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new GpuSetupError(`registry ${raw}: expected an http(s) URL`);
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** `<home>/runtime/@scope+name@1.2.3`: one folder per package version. */
export function runtimePackageDir(home: string, name: string, version: string): string {
  return path.join(home, 'runtime', `${name.replace('/', '+')}@${version}`);
}

/** The sha512 digests of an SRI string ("sha512-<base64> ..."), as base64. Weaker algorithms are not accepted. */
export function sha512Digests(integrity: string): string[] {
  return integrity
    .split(/\s+/)
    .map((part) => /^sha512-([A-Za-z0-9+/]+={0,2})(?:\?.*)?$/.exec(part)?.[1])
    .filter((d): d is string => d !== undefined);
}

export async function installRuntimePackage(opts: InstallOptions): Promise<InstalledPackage> {
  const registry = registryUrl(opts.registry);
  const dispatcher = opts.dispatcher ?? sharedDownloadDispatcher();
  const { tarball, integrity } = await resolveTarball(registry, opts.packageName, opts.version, dispatcher, opts.signal);
  const expected = sha512Digests(integrity);
  if (expected.length === 0)
    throw new GpuSetupError(`${opts.packageName}@${opts.version}: the registry publishes no sha512 integrity ("${integrity}"); refusing`);

  const runtimeDir = path.join(opts.home, 'runtime');
  fs.mkdirSync(runtimeDir, { recursive: true });
  const temp = fs.mkdtempSync(path.join(runtimeDir, '.unpack-'));
  try {
    const digest = await downloadAndUnpack(tarball, temp, dispatcher, opts);
    if (!expected.includes(digest))
      throw new GpuSetupError(
        `${tarball} does not match the published integrity (got sha512-${digest}, expected ${integrity}); nothing was installed`,
      );
    const pkg = readPackageJson(temp);
    if (pkg.name !== opts.packageName || pkg.version !== opts.version)
      throw new GpuSetupError(
        `${tarball} holds ${pkg.name}@${pkg.version}, not ${opts.packageName}@${opts.version}; nothing was installed`,
      );
    const marker = { name: opts.packageName, version: opts.version, integrity };
    fs.writeFileSync(path.join(temp, INSTALL_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    const dir = runtimePackageDir(opts.home, opts.packageName, opts.version);
    replaceDir(temp, dir);
    return { ...marker, dir };
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

async function resolveTarball(
  registry: string,
  name: string,
  version: string,
  dispatcher: Dispatcher,
  signal: AbortSignal | undefined,
): Promise<{ tarball: string; integrity: string }> {
  // npm's URL form for scoped names: "@scope%2fname".
  const url = `${registry}${name.replace('/', '%2f')}`;
  const res = await send(url, dispatcher, signal, { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' });
  if (res.statusCode === 404) {
    await res.body.dump();
    throw new GpuSetupError(`${name} is not in the registry ${registry} (HTTP 404)`);
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new GpuSetupError(`the registry ${registry} answered HTTP ${res.statusCode} for ${name}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_PACKUMENT_BYTES) {
      res.body.destroy();
      throw new GpuSetupError(`the registry's answer for ${name} is over ${MAX_PACKUMENT_BYTES} bytes: not a packument`);
    }
    chunks.push(chunk);
  }
  let parsed;
  try {
    parsed = Packument.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
  } catch (e) {
    throw new GpuSetupError(`the registry's answer for ${name} is not a packument with versions[].dist.tarball: ${(e as Error).message}`);
  }
  const dist = parsed.versions[version]?.dist;
  if (!dist) throw new GpuSetupError(`${name} has no version ${version} in ${registry} (node-llama-cpp needs exactly this version)`);
  if (!dist.integrity) throw new GpuSetupError(`${name}@${version} has no published dist.integrity in ${registry}; refusing to install it`);
  return { tarball: dist.tarball, integrity: dist.integrity };
}

/** Streams the tarball through a sha512 and into tar; returns the digest (base64) of every byte received. */
async function downloadAndUnpack(tarball: string, dest: string, dispatcher: Dispatcher, opts: InstallOptions): Promise<string> {
  const res = await send(tarball, dispatcher, opts.signal);
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new GpuSetupError(`downloading ${tarball}: HTTP ${res.statusCode}`);
  }
  const lengthHeader = res.headers['content-length'];
  const length = typeof lengthHeader === 'string' ? Number(lengthHeader) : NaN;
  const totalBytes = Number.isFinite(length) ? length : null;
  if (totalBytes !== null && totalBytes > MAX_TARBALL_BYTES) {
    await res.body.dump();
    throw new GpuSetupError(`${tarball} is ${totalBytes} bytes, over the ${MAX_TARBALL_BYTES} this installer accepts`);
  }
  const hash = crypto.createHash('sha512');
  let receivedBytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      receivedBytes += chunk.length;
      if (receivedBytes > MAX_TARBALL_BYTES) return cb(new GpuSetupError(`${tarball} is over ${MAX_TARBALL_BYTES} bytes`));
      hash.update(chunk);
      opts.onProgress?.({ receivedBytes, totalBytes });
      cb(null, chunk);
    },
  });
  // Only plain files and folders: a prebuilt binary package needs no links or devices.
  const unpack = untar({ cwd: dest, strip: 1, strict: true, filter: (_p, entry) => 'type' in entry && isPlain(entry.type) });
  try {
    await pipeline(res.body, meter, unpack, { signal: opts.signal });
  } catch (e) {
    if (opts.signal?.aborted) throw new GpuSetupError('cancelled; nothing was installed', { cause: e });
    if (e instanceof GpuSetupError) throw e;
    throw new GpuSetupError(
      `${tarball} is truncated or not a gzipped tarball after ${receivedBytes} bytes (${(e as Error).message}); nothing was installed`,
      { cause: e },
    );
  }
  if (totalBytes !== null && receivedBytes !== totalBytes)
    throw new GpuSetupError(`${tarball}: got ${receivedBytes} of ${totalBytes} bytes; nothing was installed`);
  return hash.digest('base64');
}

function isPlain(type: string): boolean {
  return type === 'File' || type === 'OldFile' || type === 'ContiguousFile' || type === 'Directory';
}

async function send(url: string, dispatcher: Dispatcher, signal: AbortSignal | undefined, headers: Record<string, string> = {}) {
  try {
    return await request(url, { dispatcher, signal, headers, headersTimeout: 30_000, bodyTimeout: 60_000 });
  } catch (e) {
    if (signal?.aborted) throw new GpuSetupError('cancelled; nothing was installed', { cause: e });
    const code = (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code;
    const why =
      code === 'ECONNREFUSED'
        ? 'connection refused'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'the host cannot be resolved: this machine seems to be offline'
          : (e as Error).message;
    throw new GpuSetupError(
      `cannot reach ${new URL(url).origin} (${why}); check the network, a proxy (HTTPS_PROXY, VS Code's http.proxy) or the registry (npm_config_registry)`,
      { cause: e },
    );
  }
}

function readPackageJson(dir: string): { name?: unknown; version?: unknown } {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
  } catch (e) {
    throw new GpuSetupError(`the tarball holds no readable package/package.json (${(e as Error).message}); nothing was installed`);
  }
}

/** Puts `from` at `to`, replacing a previous install: the old one moves aside first, so `to` is never half-written. */
function replaceDir(from: string, to: string): void {
  const aside = `${to}.old-${process.pid}`;
  const hadOld = fs.existsSync(to);
  if (hadOld) fs.renameSync(to, aside);
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if (hadOld) fs.renameSync(aside, to);
    throw e;
  }
  if (hadOld) fs.rmSync(aside, { recursive: true, force: true });
}

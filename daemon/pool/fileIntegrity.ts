/**
 * Checking a pinned sha256 of a model file that is already on disk, before its first load: a file
 * put there by hand, left by an older version, or changed since is checked as a download would be.
 * Hashing a multi-GB file takes seconds, so the result is cached by (size, mtime) in a small JSON
 * in the ensemble home (`integrity.json`): the next start trusts an unchanged file without reading
 * it, and a changed one is hashed again. The hash streams (a read stream feeding the hash chunk by
 * chunk), so the daemon's event loop keeps serving while it runs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';

const Entry = z.object({ size: z.number().int().min(0), mtimeMs: z.number(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
const CacheFile = z.object({ files: z.record(z.string(), Entry) });
type Entry = z.infer<typeof Entry>;
/** Entries kept: a pool has a handful of files; the bound keeps a hostile or stale cache small. */
const MAX_ENTRIES = 256;
const MAX_CACHE_BYTES = 1 << 20;

export interface IntegrityResult {
  ok: boolean;
  actual: string;
  /** False when the cache answered (the file was not read). */
  hashed: boolean;
}

export async function sha256OfFile(file: string, signal?: AbortSignal): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), hash, { signal });
  return hash.digest('hex');
}

/** Checks `file` against `expected`, through the cache at `cacheFile` (undefined: no cache, always hashed). */
export async function checkPinnedFile(
  file: string,
  expected: string,
  cacheFile: string | undefined,
  signal?: AbortSignal,
): Promise<IntegrityResult> {
  const key = path.resolve(file);
  const stat = fs.statSync(key);
  const cached = cacheFile ? readCache(cacheFile)[key] : undefined;
  if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs)
    return { ok: cached.sha256 === expected, actual: cached.sha256, hashed: false };
  const actual = await sha256OfFile(key, signal);
  if (cacheFile) rememberDigest(cacheFile, key, { size: stat.size, mtimeMs: stat.mtimeMs, sha256: actual });
  return { ok: actual === expected, actual, hashed: true };
}

/** Records a digest already known (a download just verified), so the first load does not read the file again. */
export function rememberVerified(cacheFile: string, file: string, sha256: string): void {
  const key = path.resolve(file);
  const stat = fs.statSync(key);
  rememberDigest(cacheFile, key, { size: stat.size, mtimeMs: stat.mtimeMs, sha256 });
}

function readCache(cacheFile: string): Record<string, Entry> {
  try {
    if (fs.statSync(cacheFile).size > MAX_CACHE_BYTES) return {};
    return CacheFile.parse(JSON.parse(fs.readFileSync(cacheFile, 'utf8'))).files;
  } catch {
    return {}; // absent or unreadable: every file is hashed (and the cache rewritten)
  }
}

function rememberDigest(cacheFile: string, key: string, entry: Entry): void {
  const files = readCache(cacheFile);
  delete files[key];
  files[key] = entry;
  const kept = Object.entries(files).slice(-MAX_ENTRIES);
  const temp = `${cacheFile}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  fs.writeFileSync(temp, `${JSON.stringify({ files: Object.fromEntries(kept) }, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, cacheFile);
}

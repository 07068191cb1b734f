/**
 * Fetching a GGUF on first use. Streams to `<file>.part`, checks the sha256 when the config gives
 * one, then renames into place, so a half-written file never looks like a model. Redirects are
 * followed (model hubs redirect to CDNs).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { interceptors, request, Agent } from 'undici';
import { EnsembleError } from '../../protocol/errors';

export interface FetchProgress {
  receivedBytes: number;
  totalBytes: number | null;
}

const agent = new Agent({ connect: { timeout: 15_000 } }).compose(interceptors.redirect({ maxRedirections: 5 }));

export async function fetchModel(
  url: string,
  dest: string,
  opts: { sha256?: string; signal?: AbortSignal; onProgress?: (p: FetchProgress) => void },
): Promise<void> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  let res;
  try {
    res = await request(url, { dispatcher: agent, signal: opts.signal, headersTimeout: 30_000, bodyTimeout: 60_000 });
  } catch (e) {
    throw new EnsembleError('ModelUnavailable', `cannot download ${url}: ${describe(e)}`, undefined, { cause: e });
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new EnsembleError('ModelUnavailable', `cannot download ${url}: HTTP ${res.statusCode}`);
  }
  const lengthHeader = res.headers['content-length'];
  const totalBytes = typeof lengthHeader === 'string' ? Number(lengthHeader) : null;
  const hash = crypto.createHash('sha256');
  let receivedBytes = 0;
  let lastReport = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      receivedBytes += chunk.length;
      const now = Date.now();
      if (now - lastReport > 250) {
        lastReport = now;
        opts.onProgress?.({ receivedBytes, totalBytes });
      }
      cb(null, chunk);
    },
  });
  try {
    await pipeline(res.body, meter, fs.createWriteStream(part));
  } catch (e) {
    fs.rmSync(part, { force: true });
    throw new EnsembleError('ModelUnavailable', `download of ${url} failed: ${describe(e)}`, undefined, { cause: e });
  }
  opts.onProgress?.({ receivedBytes, totalBytes });
  const digest = hash.digest('hex');
  if (opts.sha256 && digest !== opts.sha256) {
    fs.rmSync(part, { force: true });
    throw new EnsembleError('ModelUnavailable', `download of ${url} has sha256 ${digest}, the config expects ${opts.sha256}`);
  }
  fs.renameSync(part, dest);
}

function describe(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host cannot be resolved (offline?)';
  if (code === 'ECONNREFUSED') return 'connection refused';
  return err.message ?? String(e);
}

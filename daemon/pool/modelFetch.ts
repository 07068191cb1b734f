/**
 * Fetching a GGUF on first use. Streams to `<file>.part`, checks the sha256 when the config gives
 * one, then renames into place, so a half-written file never looks like a model. Redirects are
 * followed (model hubs redirect to CDNs).
 *
 * Resumable: a `.part` left by a dropped connection, a cancel or a daemon restart is continued
 * with an HTTP Range request (the server must answer 206 from that offset; otherwise the download
 * starts over). Transient failures (connection reset mid-file, timeouts, 5xx, 429) are retried
 * with backoff (common/restartPolicy.ts), resuming each time; an unresolvable host (offline) and
 * 4xx are not retried. Cancellation (the signal) stops at once and keeps the `.part` for later.
 * Proxies: HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured (daemon/net/downloadAgent.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request, type Dispatcher } from 'undici';
import { EnsembleError } from '../../protocol/errors';
import { backoffDelay } from '../../common/restartPolicy';
import { abortError } from '../../common/abort';
import { sharedDownloadDispatcher } from '../net/downloadAgent';
import { sha256OfFile } from './fileIntegrity';

export interface FetchProgress {
  receivedBytes: number;
  totalBytes: number | null;
}

export interface FetchOptions {
  sha256?: string;
  signal?: AbortSignal;
  onProgress?: (p: FetchProgress) => void;
  /** Attempts after the first (default 5). */
  retries?: number;
  /** First backoff delay in ms (doubling, default 500). */
  retryBaseMs?: number;
  /** Default: the process's download dispatcher (proxies from HTTPS_PROXY/HTTP_PROXY/NO_PROXY, redirects). */
  dispatcher?: Dispatcher;
}

/** A failure worth another attempt (the connection or the server), or not (offline, 4xx, bad digest). */
class FetchFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export async function fetchModel(url: string, dest: string, opts: FetchOptions = {}): Promise<void> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  const retries = opts.retries ?? 5;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    try {
      await attemptOnce(url, part, opts);
      break;
    } catch (e) {
      if (opts.signal?.aborted) throw abortError(opts.signal); // keeps the .part: the next fetch resumes
      const failure = e instanceof FetchFailure ? e : new FetchFailure(describe(e), true, { cause: e });
      if (!failure.retryable || attempt >= retries) {
        throw new EnsembleError(
          'ModelUnavailable',
          `cannot download ${url}: ${failure.message}${attempt > 0 ? ` (after ${attempt + 1} attempts)` : ''}`,
          undefined,
          {
            cause: e,
          },
        );
      }
      await sleep(backoffDelay(attempt, { baseMs: opts.retryBaseMs ?? 500, maxMs: 30_000 }), opts.signal);
    }
  }
  const digest = await sha256OfFile(part);
  if (opts.sha256 && digest !== opts.sha256) {
    fs.rmSync(part, { force: true });
    throw new EnsembleError('ModelUnavailable', `download of ${url} has sha256 ${digest}, the config expects ${opts.sha256}`);
  }
  fs.renameSync(part, dest);
}

/** One request: from the .part's end when there is one (Range), to the end of the file. */
async function attemptOnce(url: string, part: string, opts: FetchOptions): Promise<void> {
  const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  let res;
  try {
    res = await request(url, {
      dispatcher: opts.dispatcher ?? sharedDownloadDispatcher(),
      signal: opts.signal,
      headersTimeout: 30_000,
      bodyTimeout: 60_000,
      headers: have > 0 ? { range: `bytes=${have}-` } : {},
    });
  } catch (e) {
    throw new FetchFailure(describe(e), !isOffline(e), { cause: e });
  }
  let offset = 0;
  if (res.statusCode === 206 && have > 0 && contentRangeStart(res.headers['content-range']) === have) offset = have;
  else if (res.statusCode === 416 && have > 0) {
    // The .part is not a prefix this server recognises (complete or from another file): start over.
    await res.body.dump();
    fs.rmSync(part, { force: true });
    throw new FetchFailure("the partial download did not match the server's file; starting over", true);
  } else if (res.statusCode !== 200) {
    await res.body.dump();
    const retryable = res.statusCode >= 500 || res.statusCode === 429 || res.statusCode === 408;
    throw new FetchFailure(`HTTP ${res.statusCode}`, retryable);
  }
  const lengthHeader = res.headers['content-length'];
  const length = typeof lengthHeader === 'string' ? Number(lengthHeader) : NaN;
  const totalBytes = Number.isFinite(length) ? offset + length : null;
  let receivedBytes = offset;
  let lastReport = 0;
  // Written synchronously, chunk by chunk: when the connection drops, every byte received is on
  // disk for the next attempt to resume from (a write stream may drop its buffer when destroyed).
  // A 200 after a Range request means the server sends the whole file: the .part is overwritten.
  const fd = fs.openSync(part, offset > 0 ? 'a' : 'w');
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      try {
        fs.writeSync(fd, chunk);
      } catch (e) {
        return cb(e as Error);
      }
      receivedBytes += chunk.length;
      const now = Date.now();
      if (now - lastReport > 250) {
        lastReport = now;
        opts.onProgress?.({ receivedBytes, totalBytes });
      }
      cb();
    },
  });
  try {
    await pipeline(res.body, sink);
  } catch (e) {
    throw new FetchFailure(`the connection dropped at ${receivedBytes} bytes (${describe(e)})`, true, { cause: e });
  } finally {
    fs.closeSync(fd);
  }
  opts.onProgress?.({ receivedBytes, totalBytes });
  if (totalBytes !== null && receivedBytes !== totalBytes) throw new FetchFailure(`got ${receivedBytes} of ${totalBytes} bytes`, true);
}

function contentRangeStart(header: string | string[] | undefined): number | undefined {
  const m = typeof header === 'string' ? /^bytes (\d+)-/.exec(header) : null;
  return m ? Number(m[1]) : undefined;
}

function errorCode(e: unknown): string | undefined {
  const err = e as { code?: string; cause?: { code?: string } };
  return err.code ?? err.cause?.code;
}

/** No server to retry against: offline, or nothing listens there (a wrong URL, not a passing fault). */
function isOffline(e: unknown): boolean {
  const code = errorCode(e);
  return code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENETUNREACH' || code === 'ECONNREFUSED';
}

function describe(e: unknown): string {
  const code = errorCode(e);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return 'the host cannot be resolved: this machine seems to be offline (or the name is wrong)';
  if (code === 'ENETUNREACH') return 'the network is unreachable: this machine seems to be offline';
  if (code === 'ECONNREFUSED') return 'connection refused';
  return (e as { message?: string }).message ?? String(e);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

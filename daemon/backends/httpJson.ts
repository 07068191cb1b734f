/**
 * JSON over HTTP for the server backends, on `undici.request` with one keep-alive Pool per backend
 * (so a model's `maxConcurrency` caps its open connections; further requests queue in the pool and
 * still honour their AbortSignal). Every failure becomes an EnsembleError with a stable kind:
 *   unreachable (refused, DNS, connect timeout) -> ModelUnavailable, with a hint;
 *   503 / 429 -> BackendBusy; other 4xx/5xx -> BackendError carrying the server's own message;
 *   signal fired -> RequestCancelled; undici header/body timeouts -> Timeout;
 *   invalid JSON, oversized bodies, dropped connections -> BackendError.
 */
import { Pool, type Dispatcher } from 'undici';
import { EnsembleError } from '../../protocol/errors';
import { trimEndChars } from '../../common/trimChars';
import { whenAborted } from '../../common/abort';

export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const MAX_LINE_CHARS = 1024 * 1024;
/** undici's own defaults (300 s); a per-model timeoutMs replaces them. */
const DEFAULT_TIMEOUT_MS = 300_000;

/** What `EnsembleError.data` holds for HTTP failures. */
export interface HttpErrorData {
  url: string;
  status?: number;
  /** The server's own error message, when it sent one. */
  serverMessage?: string;
  /** What went wrong, without the hint (the message carries both). */
  reason?: string;
  hint?: string;
}

export interface HttpClientOptions {
  /** Base URL; request paths are appended to it (`http://host:8000/v1` + `/models`). */
  baseUrl: string;
  /** Connections this client may hold open at once; unlimited when absent. */
  maxConcurrency?: number;
  /** undici headersTimeout and bodyTimeout (idle time between body chunks). */
  timeoutMs?: number;
  /** Extra headers, computed per request (so an API key read from the environment stays current). */
  headers?: () => Record<string, string>;
  /** Said when the server cannot be reached, e.g. "start it with `ollama serve`". */
  unreachableHint?: string;
  maxResponseBytes?: number;
}

type Body = Dispatcher.ResponseData['body'];

export class HttpClient {
  readonly baseUrl: string;
  /** The base URL's path (`/v1`), prefixed to request paths sent on the pool (which knows the origin). */
  private readonly basePath: string;
  private readonly pool: Pool;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(private readonly opts: HttpClientOptions) {
    this.baseUrl = trimEndChars(opts.baseUrl, '/');
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBytes = opts.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    const base = new URL(this.baseUrl);
    this.basePath = trimEndChars(base.pathname, '/') + base.search;
    this.pool = new Pool(base.origin, {
      connections: opts.maxConcurrency ?? null,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /** Requests waiting in the pool for a free connection: those `maxConcurrency` holds back. */
  get queued(): number {
    return this.pool.stats.queued;
  }

  url(path: string): string {
    return `${this.baseUrl}${path.startsWith('/') ? path : `/${path}`}`;
  }

  private requestPath(path: string): string {
    return `${this.basePath}${path.startsWith('/') ? path : `/${path}`}`;
  }

  getJson<T = unknown>(path: string, signal: AbortSignal): Promise<T> {
    return this.json<T>('GET', path, undefined, signal);
  }

  postJson<T = unknown>(path: string, body: unknown, signal: AbortSignal): Promise<T> {
    return this.json<T>('POST', path, body, signal);
  }

  /**
   * POSTs and yields the response body line by line (SSE or NDJSON; see `sseData`). Breaking out
   * of the loop closes the response. Errors, including mid-stream aborts, are EnsembleErrors.
   */
  async *postLines(path: string, body: unknown, signal: AbortSignal): AsyncGenerator<string> {
    const url = this.url(path);
    const res = await this.send('POST', path, url, body, signal, 'text/event-stream, application/x-ndjson');
    try {
      yield* readLines(res.body, this.maxBytes);
    } catch (e) {
      throw this.failure(e, url, signal);
    } finally {
      if (!res.body.destroyed) res.body.destroy();
    }
  }

  /** Closes the pool at once, failing requests still in flight (the daemon is shutting the model down). */
  async close(): Promise<void> {
    if (!this.pool.destroyed) await this.pool.destroy();
  }

  /**
   * One whole-JSON request, straight on the pool's dispatcher with a handler that gathers the body
   * itself. `pool.request` built a body stream and its events, and added a listener to the caller's
   * signal, for every member answer: a measurable share of the daemon's CPU per decision. Here the
   * chunks go into an array, the caller's signal is waited on without a listener per call
   * (`whenAborted`), and failures map exactly as for the other requests.
   */
  private json<T>(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<T> {
    const url = this.url(path);
    if (signal.aborted) return Promise.reject(this.failure(signal.reason, url, signal));
    return new Promise<T>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | null = null;
      let settled = false;
      let status = 0;
      let size = 0;
      let limit = this.maxBytes;
      const chunks: Buffer[] = [];
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        stopWaiting();
        f();
      };
      const fail = (e: unknown) => settle(() => reject(this.failure(e, url, signal)));
      // A request still queued in the pool has no controller yet: it is aborted the moment it starts.
      const stopWaiting = whenAborted(signal, () => {
        controller?.abort(signal.reason);
        fail(signal.reason);
      });
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (c) => {
          controller = c;
          if (signal.aborted || settled) c.abort(signal.reason);
        },
        onResponseStart: (_c, statusCode) => {
          status = statusCode;
          limit = status >= 200 && status < 300 ? this.maxBytes : MAX_ERROR_BODY_BYTES;
        },
        onResponseData: (c, chunk) => {
          if (settled) return;
          size += chunk.length;
          if (size > limit) {
            if (limit === MAX_ERROR_BODY_BYTES) {
              // The error body is only read for its message: what arrived is enough.
              const text = Buffer.concat(chunks).toString('utf8');
              settle(() => reject(statusError(status, text, url)));
            } else {
              settle(() =>
                reject(
                  new EnsembleError('BackendError', `response from ${url} is larger than ${limit} bytes`, { url } satisfies HttpErrorData),
                ),
              );
            }
            c.abort(new Error('response too large'));
            return;
          }
          chunks.push(chunk);
        },
        onResponseEnd: () => {
          const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8');
          if (status < 200 || status >= 300) return settle(() => reject(statusError(status, text, url)));
          let parsed: T;
          try {
            parsed = JSON.parse(text) as T;
          } catch (e) {
            return settle(() =>
              reject(
                new EnsembleError('BackendError', `invalid JSON from ${url}: ${snippet(text)}`, { url } satisfies HttpErrorData, {
                  cause: e,
                }),
              ),
            );
          }
          settle(() => resolve(parsed));
        },
        onResponseError: (_c, e) => fail(e),
      };
      try {
        this.pool.dispatch(
          {
            method,
            path: this.requestPath(path),
            headers: this.headersFor('application/json', body !== undefined),
            body: body === undefined ? null : JSON.stringify(body),
          },
          handler,
        );
      } catch (e) {
        fail(e);
      }
    });
  }

  private headersFor(accept: string, hasBody: boolean): Record<string, string> {
    const extra = this.opts.headers?.();
    const headers: Record<string, string> = { accept, 'user-agent': 'ensemble' };
    if (hasBody) headers['content-type'] = 'application/json';
    if (extra) Object.assign(headers, extra);
    return headers;
  }

  /**
   * Sends the request; resolves once a 2xx status arrived, otherwise throws the mapped error.
   * Straight on the pool (no URL parsing or global dispatcher lookup per call: this is every member call).
   */
  private async send(method: 'GET' | 'POST', path: string, url: string, body: unknown, signal: AbortSignal, accept: string) {
    let res: Dispatcher.ResponseData;
    const headers = this.headersFor(accept, body !== undefined);
    try {
      res = await this.pool.request({
        method,
        path: this.requestPath(path),
        signal,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw this.failure(e, url, signal);
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    let text = '';
    try {
      text = await readBounded(res.body, MAX_ERROR_BODY_BYTES, url);
    } catch (e) {
      if (signal.aborted) throw this.failure(e, url, signal);
    }
    throw statusError(res.statusCode, text, url);
  }

  private failure(e: unknown, url: string, signal: AbortSignal): EnsembleError {
    if (signal.aborted) return new EnsembleError('RequestCancelled', 'cancelled', { url } satisfies HttpErrorData, { cause: e });
    if (e instanceof EnsembleError) return e;
    const code = errorCode(e);
    if (code && UNREACHABLE.has(code)) {
      const hint = this.opts.unreachableHint ?? 'check that the server is running and that baseUrl is right';
      const reason = `cannot reach ${this.baseUrl} (${describeCode(code)})`;
      return new EnsembleError('ModelUnavailable', `${reason}: ${hint}`, { url, reason, hint } satisfies HttpErrorData, { cause: e });
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return new EnsembleError('Timeout', `${url} did not answer within ${this.timeoutMs} ms`, { url } satisfies HttpErrorData, {
        cause: e,
      });
    }
    const message = e instanceof Error ? e.message : String(e);
    return new EnsembleError('BackendError', `request to ${url} failed: ${message}`, { url } satisfies HttpErrorData, { cause: e });
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function describeCode(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect timeout';
    default:
      return code;
  }
}

/** Node reports some connect failures as an AggregateError (one error per address tried). */
function errorCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; cause?: { code?: unknown }; errors?: { code?: unknown }[] };
  for (const c of [err?.code, err?.cause?.code, err?.errors?.[0]?.code]) if (typeof c === 'string') return c;
  return undefined;
}

function statusError(status: number, text: string, url: string): EnsembleError {
  const serverMessage = serverErrorMessage(text);
  const data: HttpErrorData = { url, status, serverMessage };
  if (status === 503 || status === 429) {
    return new EnsembleError('BackendBusy', `${url} is busy (${status}): ${serverMessage}`, data);
  }
  return new EnsembleError('BackendError', `${url} answered ${status}: ${serverMessage}`, data);
}

/**
 * The message out of a server's error body, whichever dialect:
 * `{"error": {"message"}}` (OpenAI, current vLLM's ErrorResponse, llama.cpp server),
 * `{"object": "error", "message"}` (older vLLM), `{"error": "..."}` (Ollama),
 * `{"detail": ...}` (FastAPI defaults, e.g. vLLM's 404 for an unknown route). Raw text otherwise.
 */
export function serverErrorMessage(textOrJson: unknown): string {
  let j: unknown = textOrJson;
  if (typeof textOrJson === 'string') {
    try {
      j = JSON.parse(textOrJson);
    } catch {
      return snippet(textOrJson) || '(empty body)';
    }
  }
  const o = j as { error?: unknown; message?: unknown; detail?: unknown };
  if (typeof o?.error === 'string') return o.error;
  const inner = o?.error as { message?: unknown } | undefined;
  if (typeof inner?.message === 'string') return inner.message;
  if (typeof o?.message === 'string') return o.message;
  if (typeof o?.detail === 'string') return o.detail;
  if (o?.detail !== undefined) return snippet(JSON.stringify(o.detail));
  return snippet(typeof textOrJson === 'string' ? textOrJson : JSON.stringify(j)) || '(empty body)';
}

function snippet(text: string, max = 300): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/**
 * The whole body as text, refusing more than `maxBytes`. Event-driven rather than `for await`:
 * this runs for every member answer, and the async iterator costs a promise per chunk.
 */
function readBounded(body: Body, maxBytes: number, url: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    body.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        fail(new EnsembleError('BackendError', `response from ${url} is larger than ${maxBytes} bytes`, { url } satisfies HttpErrorData));
        body.destroy();
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => {
      if (settled) return;
      settled = true;
      resolve((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8'));
    });
    body.once('error', fail);
    // Destroyed without an error (and without its end): the body is incomplete.
    body.once('close', () => {
      if (!settled)
        fail(
          new EnsembleError('BackendError', `the connection to ${url} closed before the response was complete`, {
            url,
          } satisfies HttpErrorData),
        );
    });
  });
}

/** Splits a byte stream into lines (LF or CRLF), bounding line length and total size. */
export async function* readLines(body: AsyncIterable<Uint8Array>, maxTotalBytes = MAX_RESPONSE_BYTES): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = '';
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxTotalBytes) throw new EnsembleError('BackendError', `streamed response is larger than ${maxTotalBytes} bytes`);
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    if (buf.length > MAX_LINE_CHARS) throw new EnsembleError('BackendError', `streamed line longer than ${MAX_LINE_CHARS} characters`);
  }
  buf += decoder.decode();
  if (buf) yield buf.endsWith('\r') ? buf.slice(0, -1) : buf;
}

/**
 * The `data` payloads of a Server-Sent Events stream (WHATWG event-stream format): multi-line data
 * joined with "\n", comments (llama.cpp's `: ping` keep-alives) and other fields ignored.
 */
export async function* sseData(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let data: string[] = [];
  for await (const line of lines) {
    if (line === '') {
      if (data.length > 0) yield data.join('\n');
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== 'data') continue;
    const value = colon < 0 ? '' : line.slice(colon + 1);
    data.push(value.startsWith(' ') ? value.slice(1) : value);
  }
  if (data.length > 0) yield data.join('\n');
}

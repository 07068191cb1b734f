/**
 * A JSON-RPC 2.0 peer over any message transport (the daemon's WebSocket, a test pipe...).
 * Both sides use this one implementation: incoming params and results are validated against the
 * method table in `methods.ts`; cancellation and progress are ordinary notifications, as in LSP;
 * every outgoing request has a timeout so no caller hangs on a peer that went quiet.
 */
import { z } from 'zod';
import { ErrorCodes, EnsembleError, asEnsembleError, kindOf, type ErrorKind } from './errors';
import { LIMITS } from './limits';
import { rememberedJson } from './serializedOnce';
import {
  mayReceive,
  notificationDirections,
  notifications,
  requests,
  type PeerRole,
  type NotificationMethod,
  type NotificationParams,
  type ParsedParams,
  type ProgressToken,
  type ProgressValue,
  type RequestMethod,
  type RequestParams,
  type RequestResult,
} from './methods';

type Id = string | number;

/** Request ids are echoed in every reply: a long one is refused rather than sent back. */
const RequestId = z.union([z.string().max(256), z.number()]);

const Envelope = z.union([
  z.object({ jsonrpc: z.literal('2.0'), id: RequestId, method: z.string(), params: z.unknown().optional() }),
  // Strict, so a request whose id was refused is not taken for a notification (and left unanswered).
  z.object({ jsonrpc: z.literal('2.0'), method: z.string(), params: z.unknown().optional() }).strict(),
  z.object({ jsonrpc: z.literal('2.0'), id: z.union([z.string(), z.number(), z.null()]), result: z.unknown() }),
  z.object({
    jsonrpc: z.literal('2.0'),
    id: z.union([z.string(), z.number(), z.null()]),
    error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }),
  }),
]);

export interface RequestContext {
  signal: AbortSignal;
  /** Sends a `$/progress` notification when the caller asked for progress; a no-op otherwise. */
  progress(value: ProgressValue): void;
}

export type RequestHandler<M extends RequestMethod> = (
  params: ParsedParams<M>,
  ctx: RequestContext,
) => Promise<RequestResult<M>> | RequestResult<M>;

export interface RequestOptions {
  signal?: AbortSignal;
  /** Give up after this long (default 120 s); the peer is told to cancel. */
  timeoutMs?: number;
  onProgress?: (value: ProgressValue) => void;
}

interface Pending {
  method: string;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  cleanup(): void;
}

export class JsonRpcPeer {
  private nextId = 1;
  private readonly pending = new Map<Id, Pending>();
  private readonly progressHandlers = new Map<ProgressToken, (v: ProgressValue) => void>();
  private readonly handlers = new Map<string, (params: unknown, ctx: RequestContext) => unknown>();
  private readonly notificationHandlers = new Map<string, Array<(params: unknown) => void>>();
  private readonly running = new Map<Id, AbortController>();
  private closed = false;

  constructor(
    private readonly send: (text: string) => void,
    private readonly options: {
      defaultTimeoutMs?: number;
      onInternalError?: (e: unknown) => void;
      /** Requests this peer serves at once; more are refused at once with LimitExceeded (default: no bound). */
      maxInFlight?: number;
      /** Messages one batch may hold; a larger batch is refused whole (default: LIMITS.maxBatch). */
      maxBatch?: number;
      /**
       * Which end this peer is. With it, a notification arriving the wrong way (`notificationDirections`)
       * is dropped and reported to `onRefused`, and sending one the wrong way throws (a bug on this side).
       */
      role?: PeerRole;
      onRefused?: (why: string) => void;
      /** Where each served request's AbortController comes from (the daemon's are made ahead of need). */
      newController?: () => AbortController;
    } = {},
  ) {}

  /** Serve a request method; params arrive validated and defaulted. */
  handle<M extends RequestMethod>(method: M, handler: RequestHandler<M>): void {
    this.handlers.set(method, handler as (params: unknown, ctx: RequestContext) => unknown);
  }

  onNotification<M extends NotificationMethod>(method: M, handler: (params: NotificationParams<M>) => void): () => void {
    const list = this.notificationHandlers.get(method) ?? [];
    list.push(handler as (p: unknown) => void);
    this.notificationHandlers.set(method, list);
    return () => {
      const i = list.indexOf(handler as (p: unknown) => void);
      if (i >= 0) list.splice(i, 1); // a second call must not remove another handler
    };
  }

  notify<M extends NotificationMethod>(method: M, params: NotificationParams<M>): void {
    this.checkSends(method);
    this.write({ jsonrpc: '2.0', method, params });
  }

  /** Sends a notification built by `encodeNotification`: one serialization for many peers. */
  notifyEncoded(method: NotificationMethod, text: string): void {
    this.checkSends(method);
    this.writeText(text);
  }

  private checkSends(method: NotificationMethod): void {
    const role = this.options.role;
    if (role && !mayReceive(role === 'daemon' ? 'client' : 'daemon', method)) {
      throw new Error(`${method} goes ${describeDirection(method)}: the ${role} does not send it`);
    }
  }

  request<M extends RequestMethod>(method: M, params: RequestParams<M>, opts: RequestOptions = {}): Promise<RequestResult<M>> {
    if (this.closed) return Promise.reject(new EnsembleError('ConnectionClosed', 'the connection to the daemon is closed'));
    const id = this.nextId++;
    let sent: Record<string, unknown> = params as Record<string, unknown>;
    let token: ProgressToken | undefined;
    if (opts.onProgress) {
      token = `p${id}`;
      sent = { ...sent, progressToken: token };
      this.progressHandlers.set(token, opts.onProgress);
    }
    return new Promise<RequestResult<M>>((resolve, reject) => {
      if (opts.signal?.aborted) {
        // Before any timer or listener exists: nothing to clean up but the progress handler.
        if (token !== undefined) this.progressHandlers.delete(token);
        return reject(new EnsembleError('RequestCancelled', `${method} cancelled`));
      }
      const timeoutMs = opts.timeoutMs ?? this.options.defaultTimeoutMs ?? 120_000;
      const timer = setTimeout(() => {
        this.cancelPending(id);
        reject(new EnsembleError('Timeout', `no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = () => {
        this.cancelPending(id);
        reject(new EnsembleError('RequestCancelled', `${method} cancelled`));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (token !== undefined) this.progressHandlers.delete(token);
        this.pending.delete(id);
      };
      this.pending.set(id, {
        method,
        cleanup,
        resolve: (raw) => {
          cleanup();
          const parsed = requests[method].result.safeParse(raw);
          if (parsed.success) resolve(parsed.data as RequestResult<M>);
          else reject(new EnsembleError('InternalError', `malformed ${method} result: ${z.prettifyError(parsed.error)}`));
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      });
      this.write({ jsonrpc: '2.0', id, method, params: sent });
    });
  }

  /** Feed one incoming message (a text frame). Never throws: faults are answered or reported. */
  receive(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.write({
        jsonrpc: '2.0',
        id: null,
        error: { code: ErrorCodes.ParseError, message: 'parse error: the message is not valid JSON' },
      });
      return;
    }
    if (Array.isArray(message)) {
      // Batches are allowed by JSON-RPC 2.0; each element is handled on its own, up to a bound, so
      // one frame cannot fan out into thousands of replies.
      const max = this.options.maxBatch ?? LIMITS.maxBatch;
      if (message.length === 0)
        this.write({ jsonrpc: '2.0', id: null, error: { code: ErrorCodes.InvalidRequest, message: 'empty batch' } });
      else if (message.length > max) {
        this.write({
          jsonrpc: '2.0',
          id: null,
          error: {
            code: ErrorCodes.LimitExceeded,
            message: `batch of ${message.length} messages refused: at most ${max} per batch (send them separately)`,
            data: { kind: 'LimitExceeded', limit: 'maxBatch', max },
          },
        });
      } else for (const m of message) this.dispatch(m);
      return;
    }
    this.dispatch(message);
  }

  /** Reject everything in flight and abort running handlers (the transport is gone). */
  close(reason = 'connection closed'): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of [...this.pending.values()]) p.reject(new EnsembleError('ConnectionClosed', reason));
    for (const c of this.running.values()) c.abort();
    this.running.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private dispatch(message: unknown): void {
    // The common case, a well-formed request, skips the envelope's schema union (a hot path: every message).
    const m0 = message as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown } | null;
    if (typeof m0 === 'object' && m0 !== null && m0.jsonrpc === '2.0' && typeof m0.method === 'string' && isRequestId(m0.id)) {
      void this.serve(m0.id, m0.method, m0.params);
      return;
    }
    const env = Envelope.safeParse(message);
    if (!env.success) {
      const id = typeof message === 'object' && message !== null && 'id' in message ? (message as { id: unknown }).id : null;
      this.write({
        jsonrpc: '2.0',
        id: RequestId.safeParse(id).success ? (id as Id) : null,
        error: { code: ErrorCodes.InvalidRequest, message: `invalid request: not a JSON-RPC 2.0 message (${issueSummary(env.error)})` },
      });
      return;
    }
    const m = env.data;
    if ('method' in m && 'id' in m) void this.serve(m.id, m.method, m.params);
    else if ('method' in m) this.onNotify(m.method, m.params);
    else if ('result' in m) this.settle(m.id, (p) => p.resolve(m.result));
    else this.settle(m.id, (p) => p.reject(new EnsembleError(errorKind(m.error.code), m.error.message, m.error.data)));
  }

  private settle(id: Id | null, fn: (p: Pending) => void): void {
    const p = id === null ? undefined : this.pending.get(id);
    if (p) fn(p);
  }

  private onNotify(method: string, params: unknown): void {
    const role = this.options.role;
    if (role && Object.hasOwn(notificationDirections, method) && !mayReceive(role, method)) {
      // No reply channel for a notification: it is dropped, and the owner hears of it.
      this.options.onRefused?.(`refused a ${method} notification: it goes ${describeDirection(method as NotificationMethod)}`);
      return;
    }
    if (method === '$/progress') {
      const parsed = notifications['$/progress'].safeParse(params);
      if (parsed.success) this.progressHandlers.get(parsed.data.token)?.(parsed.data.value);
    } else if (method === '$/cancelRequest') {
      const parsed = notifications['$/cancelRequest'].safeParse(params);
      if (parsed.success) this.running.get(parsed.data.id)?.abort();
    }
    const schema = (notifications as Record<string, z.ZodType>)[method];
    const list = this.notificationHandlers.get(method);
    if (!schema || !list) return;
    const parsed = schema.safeParse(params);
    if (!parsed.success) return; // notifications have no reply channel; drop malformed ones
    for (const h of [...list]) {
      try {
        h(parsed.data);
      } catch (e) {
        this.options.onInternalError?.(e);
      }
    }
  }

  private async serve(id: Id, method: string, rawParams: unknown): Promise<void> {
    const handler = this.handlers.get(method);
    const spec = (requests as Record<string, { params: z.ZodType; result: z.ZodType }>)[method];
    if (!handler || !spec) {
      this.write({ jsonrpc: '2.0', id, error: { code: ErrorCodes.MethodNotFound, message: `method not found: ${echo(method)}` } });
      return;
    }
    const max = this.options.maxInFlight ?? Infinity;
    if (this.running.size >= max) {
      this.write({
        jsonrpc: '2.0',
        id,
        error: {
          code: ErrorCodes.LimitExceeded,
          message: `${method} refused: ${max} requests of this connection are already running; wait for their answers`,
          data: { kind: 'LimitExceeded', limit: 'maxInFlightPerConnection', max },
        },
      });
      return;
    }
    const parsed = spec.params.safeParse(rawParams ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, LIMITS.maxErrorIssues)
        .map((i) => ({ path: i.path.map(String).map(echo), message: echo(i.message) }));
      this.write({
        jsonrpc: '2.0',
        id,
        error: {
          code: ErrorCodes.InvalidParams,
          message: `invalid params for ${method}: ${issueSummary(parsed.error)}`,
          data: { issues, more: Math.max(0, parsed.error.issues.length - issues.length) },
        },
      });
      return;
    }
    if (this.running.has(id)) {
      this.write({
        jsonrpc: '2.0',
        id,
        error: { code: ErrorCodes.InvalidRequest, message: `request id ${echo(String(id))} is already in use` },
      });
      return;
    }
    const controller = this.options.newController?.() ?? new AbortController();
    this.running.set(id, controller);
    const token = (parsed.data as { progressToken?: ProgressToken }).progressToken;
    const ctx: RequestContext = {
      signal: controller.signal,
      progress: (value) => {
        if (token !== undefined && !controller.signal.aborted) this.notify('$/progress', { token, value });
      },
    };
    try {
      const result = await handler(parsed.data, ctx);
      if (controller.signal.aborted) throw new EnsembleError('RequestCancelled', `${method} cancelled`);
      const text = rememberedJson(result);
      if (text === undefined) this.write({ jsonrpc: '2.0', id, result: result ?? null });
      else this.writeText(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${text}}`);
    } catch (e) {
      const err = controller.signal.aborted ? new EnsembleError('RequestCancelled', `${method} cancelled`) : asEnsembleError(e);
      if (err.kind === 'InternalError') this.options.onInternalError?.(e);
      this.write({
        jsonrpc: '2.0',
        id,
        error: { code: err.code, message: err.message, data: { kind: err.kind, ...(isRecord(err.data) ? err.data : {}) } },
      });
    } finally {
      this.running.delete(id);
    }
  }

  private cancelPending(id: Id): void {
    const p = this.pending.get(id);
    if (!p) return;
    p.cleanup();
    if (!this.closed) this.notify('$/cancelRequest', { id });
  }

  private write(message: unknown): void {
    if (this.closed) return;
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (e) {
      this.options.onInternalError?.(e);
      return;
    }
    this.writeText(text);
  }

  private writeText(text: string): void {
    if (this.closed) return;
    try {
      this.send(text);
    } catch (e) {
      this.options.onInternalError?.(e);
    }
  }
}

/** A notification's text, for `notifyEncoded`: what `notify` would send. */
export function encodeNotification<M extends NotificationMethod>(method: M, params: NotificationParams<M>): string {
  return JSON.stringify({ jsonrpc: '2.0', method, params });
}

function isRequestId(id: unknown): id is Id {
  return (typeof id === 'string' && id.length <= 256) || (typeof id === 'number' && Number.isFinite(id));
}

/** A value from the peer, shortened before it goes back into a reply or a log line. */
function echo<T extends string | number>(value: T): T {
  if (typeof value !== 'string' || value.length <= 100) return value;
  return `${value.slice(0, 100)}… (${value.length} chars)` as T;
}

/** The first few validation issues on one line ("path: message; ..."), capped: never an echo of a large input. */
function issueSummary(error: z.ZodError): string {
  const shown = error.issues
    .slice(0, LIMITS.maxErrorIssues)
    .map((i) => `${i.path.map(String).map(echo).join('.') || '(root)'}: ${echo(i.message)}`);
  const more = error.issues.length - shown.length;
  const text = `${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
  return text.length > LIMITS.maxErrorMessageChars ? `${text.slice(0, LIMITS.maxErrorMessageChars)}…` : text;
}

function errorKind(code: number): ErrorKind {
  const kind = kindOf(code);
  return kind === 'Unknown' ? 'InternalError' : kind;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeDirection(method: NotificationMethod): string {
  const direction = notificationDirections[method];
  return direction === 'both'
    ? 'either way'
    : direction === 'daemonToClient'
      ? 'from the daemon to the client'
      : 'from the client to the daemon';
}

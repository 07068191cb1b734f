/**
 * A fake OpenAI-compatible server (vLLM or llama.cpp server flavour) on 127.0.0.1, port 0, for
 * backend and daemon integration tests. It answers in the documented wire shapes:
 *   POST /v1/chat/completions  non-streaming `chat.completion` with `choices[0].logprobs.content[i]
 *                              .{token, logprob, bytes, top_logprobs[]}`, or SSE `chat.completion.chunk`
 *                              events ending in `data: [DONE]` when `stream: true`;
 *   GET  /v1/models            `{object: "list", data: [{id, object: "model", owned_by, ...}]}`;
 *   GET  /health               vLLM: 200 with an empty body; llama.cpp: `{"status": "ok"}`;
 *   errors                     vLLM: `{"error": {message, type, param, code}}` (vLLM's current ErrorResponse),
 *                              "vllm-legacy": `{"object": "error", message, type, param, code}`,
 *                              llama.cpp: `{"error": {code, message, type}}`.
 *
 *   const server = await startOpenAiServer();            // server.baseUrl = http://127.0.0.1:PORT/v1
 *   server.script({ content: 'bug', tokens: [{ token: 'bug', top: alts({ bug: 0.7, feature: 0.3 }) }] });
 *   ... run the code under test against server.baseUrl ...
 *   server.last('/v1/chat/completions')?.body           // what was sent
 *   await server.close();
 *
 * Replies are scripted in order (the last one repeats); see FakeReply. The small base class here
 * (recording, scripting, hang handling) is shared with the Ollama fake.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

// ---------------------------------------------------------------------------------------------
// Shared scripting base

export interface FakeAlternative {
  token: string;
  logprob: number;
}

export interface FakeToken {
  token: string;
  /** Defaults to the token's own entry in `top`, else 0. */
  logprob?: number;
  /** Top alternatives at this position (sliced to the `top_logprobs` the request asked for). */
  top?: FakeAlternative[];
}

/** A model answer. */
export interface FakeAnswer {
  /** What the model writes; defaults to the tokens' concatenation. */
  content?: string;
  /** Generated tokens and their alternatives; defaults to `content` as one token with logprob 0. */
  tokens?: FakeToken[];
  /** Behave like a server without logprob support: never send them, whatever was asked. */
  ignoreLogprobs?: boolean;
  /** Streaming only: after this many tokens, fail the way the server does mid-stream. */
  failAfterTokens?: number;
  /** Streaming only: after this many tokens, stop sending and keep the response open. */
  stallAfterTokens?: number;
}

/** An HTTP error, with the body the real server sends for it. */
export interface FakeError {
  error: number;
  message?: string;
}

/** Any status and body, e.g. malformed JSON. */
export interface FakeRaw {
  raw: string;
  status?: number;
  contentType?: string;
}

/** Accept the request and never answer (until the client gives up or the server closes). */
export interface FakeHang {
  hang: true;
}

/** Start a 200 answer, send `partial` (part of a body), then reset the connection mid-body. */
export interface FakeReset {
  reset: true;
  partial?: string;
}

export type FakeReply = FakeAnswer | FakeError | FakeRaw | FakeHang | FakeReset;
/** Computes the reply from the request (for replies that depend on what was sent). */
export type FakeHandler = (req: RecordedRequest) => FakeReply;

export interface RecordedRequest {
  method: string;
  /** Path with query, e.g. "/v1/chat/completions". */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when there was none or it was not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read what the daemon sent, field by field
  body: any;
  rawBody: string;
}

/** Alternatives from probabilities: `alts({ bug: 0.7, feature: 0.3 })`. */
export function alts(probabilities: Record<string, number>): FakeAlternative[] {
  return Object.entries(probabilities).map(([token, p]) => ({ token, logprob: Math.log(p) }));
}

/** The answer's tokens, defaulting as FakeAnswer documents. */
export function answerTokens(a: FakeAnswer): { content: string; tokens: Required<FakeToken>[] } {
  const raw = a.tokens ?? [{ token: a.content ?? '' }];
  const tokens = raw.map((t) => ({
    token: t.token,
    top: t.top ?? [],
    logprob: t.logprob ?? t.top?.find((x) => x.token === t.token)?.logprob ?? 0,
  }));
  return { content: a.content ?? tokens.map((t) => t.token).join(''), tokens };
}

/** Replies in order; the last one repeats. */
export class Script {
  private items: (FakeReply | FakeHandler)[];
  constructor(...items: (FakeReply | FakeHandler)[]) {
    this.items = items;
  }
  set(items: (FakeReply | FakeHandler)[]): void {
    this.items = items;
  }
  get empty(): boolean {
    return this.items.length === 0;
  }
  next(req: RecordedRequest): FakeReply {
    const item = this.items.length > 1 ? this.items.shift()! : this.items[0];
    if (item === undefined) return { error: 500, message: 'fake server: nothing scripted' };
    return typeof item === 'function' ? item(req) : item;
  }
}

export type Route = (req: RecordedRequest, res: http.ServerResponse) => void;

/** A node:http server on 127.0.0.1:0 that records every request before routing it. */
export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  /** Responses whose connection the client closed before they ended (an aborted request, a hung one). */
  dropped = 0;
  /** Requests the client gave up on (its connection closed before the reply was complete), in order. */
  readonly abandoned: RecordedRequest[] = [];
  private readonly server: http.Server;
  private readonly changed = new EventEmitter();
  /** http://127.0.0.1:PORT */
  origin = '';

  constructor(route: Route) {
    this.server = http.createServer((req, res) => {
      res.once('close', () => {
        if (res.writableEnded) return;
        this.dropped++;
        this.changed.emit('change');
      });
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = rawBody ? JSON.parse(rawBody) : undefined;
        } catch {
          body = undefined;
        }
        const rec: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body, rawBody };
        this.requests.push(rec);
        res.on('close', () => {
          if (res.writableEnded) return;
          this.abandoned.push(rec);
          this.changed.emit('change');
        });
        route(rec, res);
        this.changed.emit('change');
      });
    });
  }

  /**
   * Resolves once `test()` holds, checked again at each request that arrives and each response the
   * client drops: what a test waits on instead of a sleep (e.g. "the request is here, now abort").
   */
  when(test: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!test()) return;
        this.changed.off('change', check);
        resolve();
      };
      this.changed.on('change', check);
      check();
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `n` requests have been abandoned by their client (an event, not a poll). */
  abandonedAtLeast(n: number): Promise<void> {
    return this.when(() => this.abandoned.length >= n);
  }

  /** The last request, optionally only among those to `path`. */
  last(path?: string): RecordedRequest | undefined {
    return this.requests.filter((r) => path === undefined || r.path === path).at(-1);
  }

  /** Stops listening and drops open connections (hung requests included). */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A connection reset in the middle of a body the headers promised to be longer. */
export function resetMidBody(res: http.ServerResponse, partial = '{"id": "cut-off", "choices": [{"message": {"content": "bu'): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(partial) + 4096 });
  res.write(partial, () => setTimeout(() => res.socket?.resetAndDestroy(), 20));
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

// ---------------------------------------------------------------------------------------------
// OpenAI-compatible flavours

export type OpenAiFlavor = 'vllm' | 'vllm-legacy' | 'llama.cpp';

export interface OpenAiServerOptions {
  flavor?: OpenAiFlavor;
  /** Model ids listed by /v1/models. Default ["test-model"]. */
  models?: string[];
  /** Answer every chat completion this many ms late (a deliberately slow member). */
  delayMs?: number;
}

const errorType: Record<number, string> = {
  400: 'BadRequestError',
  401: 'Unauthorized',
  404: 'NotFoundError',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailableError',
};

/** The error body each flavour sends. */
export function openAiErrorBody(flavor: OpenAiFlavor, status: number, message: string): unknown {
  if (flavor === 'llama.cpp') {
    const type =
      status === 503 ? 'unavailable_error' : status === 404 ? 'not_found_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
    return { error: { code: status, message, type } };
  }
  const type = errorType[status] ?? 'BadRequestError';
  if (flavor === 'vllm-legacy') return { object: 'error', message, type, param: null, code: status };
  return { error: { message, type, param: null, code: status } };
}

/** One token in the `{token, logprob, bytes, top_logprobs}` shape both OpenAI-compatible servers and Ollama use. */
export function wireLogprob(t: Required<FakeToken>, topN: number) {
  const bytes = (s: string) => [...Buffer.from(s, 'utf8')];
  return {
    token: t.token,
    logprob: t.logprob,
    bytes: bytes(t.token),
    top_logprobs: t.top.slice(0, topN).map((a) => ({ token: a.token, logprob: a.logprob, bytes: bytes(a.token) })),
  };
}

export class FakeOpenAiServer extends RecordingServer {
  readonly flavor: OpenAiFlavor;
  models: string[];
  /** Delay before each chat completion reply; may be changed while the server runs. */
  delayMs: number;
  private readonly chat = new Script({ content: 'ok' });
  private readonly modelsScript = new Script();

  constructor(options: OpenAiServerOptions = {}) {
    super((req, res) => this.route(req, res));
    this.flavor = options.flavor ?? 'vllm';
    this.models = options.models ?? ['test-model'];
    this.delayMs = options.delayMs ?? 0;
  }

  /** http://127.0.0.1:PORT/v1, what a config's `baseUrl` holds. */
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  /** Replies for /v1/chat/completions, in order; the last repeats. Default: content "ok". */
  script(...replies: (FakeReply | FakeHandler)[]): this {
    this.chat.set(replies);
    return this;
  }

  /** Overrides /v1/models (e.g. `{ error: 404 }` for a server without it); none restores the list. */
  scriptModels(...replies: (FakeReply | FakeHandler)[]): this {
    this.modelsScript.set(replies);
    return this;
  }

  private route(req: RecordedRequest, res: http.ServerResponse): void {
    const path = req.path.split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      const reply = this.chat.next(req);
      if (this.delayMs > 0) return void setTimeout(() => !res.destroyed && this.reply(req, res, reply), this.delayMs);
      return this.reply(req, res, reply);
    }
    if (req.method === 'GET' && path === '/v1/models') {
      return this.modelsScript.empty ? sendJson(res, 200, this.modelList()) : this.reply(req, res, this.modelsScript.next(req));
    }
    if (req.method === 'GET' && path === '/health') {
      return this.flavor === 'llama.cpp' ? sendJson(res, 200, { status: 'ok' }) : void res.writeHead(200).end();
    }
    if (this.flavor === 'llama.cpp') return sendJson(res, 404, openAiErrorBody('llama.cpp', 404, 'File Not Found'));
    sendJson(res, 404, { detail: 'Not Found' });
  }

  private modelList() {
    const created = Math.floor(Date.now() / 1000);
    return {
      object: 'list',
      data: this.models.map((id) =>
        this.flavor === 'llama.cpp'
          ? { id, object: 'model', created, owned_by: 'llamacpp', meta: { n_ctx_train: 4096, n_params: 494032768, size: 397808192 } }
          : { id, object: 'model', created, owned_by: 'vllm', root: id, parent: null, max_model_len: 4096, permission: [] },
      ),
    };
  }

  private reply(req: RecordedRequest, res: http.ServerResponse, reply: FakeReply): void {
    if ('hang' in reply) return;
    if ('reset' in reply) return resetMidBody(res, reply.partial);
    if ('raw' in reply) return sendJson(res, reply.status ?? 200, reply.raw, reply.contentType);
    if ('error' in reply) {
      return sendJson(res, reply.error, openAiErrorBody(this.flavor, reply.error, reply.message ?? `fake error ${reply.error}`));
    }
    if (req.body?.stream === true) return this.stream(req, res, reply);
    const { content, tokens } = answerTokens(reply);
    const wantLogprobs = req.body?.logprobs === true && !reply.ignoreLogprobs;
    const topN = Number(req.body?.top_logprobs ?? 0);
    sendJson(res, 200, {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: req.body?.model ?? this.models[0],
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, tool_calls: [] },
          logprobs: wantLogprobs ? { content: tokens.map((t) => wireLogprob(t, topN)) } : null,
          finish_reason: 'stop',
          stop_reason: null,
        },
      ],
      usage: { prompt_tokens: 10, total_tokens: 10 + tokens.length, completion_tokens: tokens.length },
    });
  }

  private stream(req: RecordedRequest, res: http.ServerResponse, reply: FakeAnswer): void {
    const { tokens } = answerTokens(reply);
    const model = req.body?.model ?? this.models[0];
    const created = Math.floor(Date.now() / 1000);
    const chunk = (choice: object) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created, model, choices: [choice] })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (this.flavor === 'llama.cpp') res.write(': ping\n\n');
    res.write(chunk({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }));
    const cut = Math.min(reply.failAfterTokens ?? Infinity, reply.stallAfterTokens ?? Infinity);
    for (const t of tokens.slice(0, cut)) res.write(chunk({ index: 0, delta: { content: t.token }, logprobs: null, finish_reason: null }));
    if (reply.stallAfterTokens !== undefined) return;
    if (reply.failAfterTokens !== undefined) {
      // vLLM reports a failure after the stream started as an error event, then [DONE].
      res.write(`data: ${JSON.stringify(openAiErrorBody(this.flavor, 500, 'fake failure mid-stream'))}\n\n`);
    } else {
      res.write(chunk({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop', stop_reason: null }));
    }
    res.end('data: [DONE]\n\n');
  }
}

export async function startOpenAiServer(options: OpenAiServerOptions = {}): Promise<FakeOpenAiServer> {
  const server = new FakeOpenAiServer(options);
  await server.listen();
  return server;
}

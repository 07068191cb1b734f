/**
 * A fake Ollama server (native API) on 127.0.0.1, port 0, answering in the shapes of Ollama's
 * api/types.go (ChatResponse, Logprob, ListResponse) and docs.ollama.com/api:
 *   POST /api/chat     `stream: false`: one `{model, created_at, message: {role, content}, done: true,
 *                      done_reason, ...metrics, logprobs?}`; otherwise NDJSON (application/x-ndjson),
 *                      one object per token then a final `done: true` object. `logprobs: [{token,
 *                      logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]` only when the request
 *                      set `logprobs: true` (Ollama 0.12.11+; set `version` lower to act like an older
 *                      server that ignores it);
 *   GET  /api/tags     `{models: [{name, model, modified_at, size, digest, details}]}`;
 *   GET  /api/version  `{version}`;
 *   errors             `{"error": "..."}`; a chat for a model that is not pulled gets
 *                      404 `{"error": "model 'x' not found"}`; a failure after streaming started is
 *                      an NDJSON line `{"error": "..."}` (status stays 200).
 *
 *   const server = await startOllamaServer({ models: ['llama3.2'] });   // server.baseUrl
 *   server.script({ tokens: [{ token: 'bug', top: alts({ bug: 0.8, feature: 0.2 }) }] });
 *   server.last('/api/chat')?.body
 *   await server.close();
 *
 * Replies (FakeReply) and helpers are shared with the OpenAI fake; see openaiServer.ts.
 */
import type http from 'node:http';
import {
  RecordingServer,
  Script,
  answerTokens,
  resetMidBody,
  sendJson,
  wireLogprob,
  type FakeHandler,
  type FakeReply,
  type RecordedRequest,
} from './openaiServer';

export { alts, type FakeAnswer, type FakeHandler, type FakeReply, type FakeToken, type RecordedRequest } from './openaiServer';

export interface OllamaServerOptions {
  /** Pulled models, as `ollama pull` names them ("llama3.2" means "llama3.2:latest"). Default ["llama3.2"]. */
  models?: string[];
  /** Reported by /api/version. Below 0.12.11 the server ignores `logprobs`. Default "0.12.11". */
  version?: string;
}

/** "llama3.2" and "llama3.2:latest" are the same model. */
export function ollamaModelName(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

function atLeast(version: string, min: [number, number, number]): boolean {
  const v = version.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) {
    const a = v[i] ?? 0;
    if (a !== min[i]) return a > min[i]!;
  }
  return true;
}

const METRICS = {
  total_duration: 5043500667,
  load_duration: 5025959,
  prompt_eval_count: 26,
  prompt_eval_duration: 325953000,
  eval_count: 1,
  eval_duration: 4709213000,
};

export class FakeOllamaServer extends RecordingServer {
  models: string[];
  version: string;
  private readonly chat = new Script({ content: 'ok' });

  constructor(options: OllamaServerOptions = {}) {
    super((req, res) => this.route(req, res));
    this.models = (options.models ?? ['llama3.2']).map(ollamaModelName);
    this.version = options.version ?? '0.12.11';
  }

  /** What a config's `baseUrl` holds: http://127.0.0.1:PORT */
  get baseUrl(): string {
    return this.origin;
  }

  /** Replies for /api/chat, in order; the last repeats. Default: content "ok". */
  script(...replies: (FakeReply | FakeHandler)[]): this {
    this.chat.set(replies);
    return this;
  }

  private route(req: RecordedRequest, res: http.ServerResponse): void {
    const path = req.path.split('?')[0];
    if (req.method === 'GET' && path === '/api/version') return sendJson(res, 200, { version: this.version });
    if (req.method === 'GET' && path === '/api/tags') return sendJson(res, 200, { models: this.models.map((m) => this.tag(m)) });
    if (req.method === 'GET' && path === '/') return sendJson(res, 200, 'Ollama is running', 'text/plain; charset=utf-8');
    if (req.method === 'POST' && path === '/api/chat') {
      const model = String(req.body?.model ?? '');
      if (!this.models.includes(ollamaModelName(model))) return sendJson(res, 404, { error: `model '${model}' not found` });
      return this.reply(req, res, this.chat.next(req));
    }
    sendJson(res, 404, '404 page not found', 'text/plain');
  }

  private tag(name: string) {
    return {
      name,
      model: name,
      modified_at: '2025-11-20T10:00:00.000000000Z',
      size: 2019393189,
      digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
      details: {
        parent_model: '',
        format: 'gguf',
        family: 'llama',
        families: ['llama'],
        parameter_size: '3.2B',
        quantization_level: 'Q4_K_M',
      },
    };
  }

  private reply(req: RecordedRequest, res: http.ServerResponse, reply: FakeReply): void {
    if ('hang' in reply) return;
    if ('reset' in reply) return resetMidBody(res, reply.partial);
    if ('raw' in reply) return sendJson(res, reply.status ?? 200, reply.raw, reply.contentType);
    if ('error' in reply) return sendJson(res, reply.error, { error: reply.message ?? `fake error ${reply.error}` });
    const { content, tokens } = answerTokens(reply);
    const logprobs = req.body?.logprobs === true && !reply.ignoreLogprobs && atLeast(this.version, [0, 12, 11]);
    const topN = Number(req.body?.top_logprobs ?? 0);
    const base = () => ({ model: req.body.model, created_at: new Date().toISOString() });
    if (req.body?.stream === false) {
      return sendJson(res, 200, {
        ...base(),
        message: { role: 'assistant', content },
        done: true,
        done_reason: 'stop',
        ...METRICS,
        ...(logprobs ? { logprobs: tokens.map((t) => wireLogprob(t, topN)) } : {}),
      });
    }
    // Ollama streams by default (`stream` absent or true).
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const cut = Math.min(reply.failAfterTokens ?? Infinity, reply.stallAfterTokens ?? Infinity);
    for (const t of tokens.slice(0, cut)) {
      const line = {
        ...base(),
        message: { role: 'assistant', content: t.token },
        done: false,
        ...(logprobs ? { logprobs: [wireLogprob(t, topN)] } : {}),
      };
      res.write(`${JSON.stringify(line)}\n`);
    }
    if (reply.stallAfterTokens !== undefined) return;
    if (reply.failAfterTokens !== undefined)
      return void res.end(`${JSON.stringify({ error: 'an error was encountered while running the model' })}\n`);
    res.end(`${JSON.stringify({ ...base(), message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', ...METRICS })}\n`);
  }
}

export async function startOllamaServer(options: OllamaServerOptions = {}): Promise<FakeOllamaServer> {
  const server = new FakeOllamaServer(options);
  await server.listen();
  return server;
}

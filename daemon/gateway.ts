/**
 * The OpenAI-style HTTP gateway, so other tools can use the ensemble without speaking our
 * JSON-RPC: `GET /v1/models` lists ensembles as models, `POST /v1/chat/completions` runs sequential
 * refinement on the last user message, `POST /v1/classifications` returns a full Decision.
 * Requests reach here only after the token/Host/Origin checks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { asEnsembleError } from '../protocol/errors';
import { ClassifyParams, LIMITS } from '../protocol/methods';
import type { Logger } from './log';
import type { DaemonService } from './service';

const ChatRequest = z.object({
  model: z.string().optional(),
  messages: z.array(z.object({ role: z.string(), content: z.string() })).min(1),
  max_tokens: z.number().int().min(1).max(4096).optional(),
  /** Streaming clients get the chat.completion.chunk SSE shape (the refined text arrives as one chunk: refinement finishes before it is final). */
  stream: z.boolean().optional(),
});

export async function handleGateway(req: IncomingMessage, res: ServerResponse, service: DaemonService, logger: Logger): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true });
  if (req.method === 'GET' && url.pathname === '/v1/models') {
    const status = service.status();
    return send(res, 200, {
      object: 'list',
      data: status.ensembles.map((e) => ({ id: e.name, object: 'model', created: 0, owned_by: 'ensemble' })),
    });
  }
  if (req.method !== 'POST' || !['/v1/chat/completions', '/v1/classifications'].includes(url.pathname)) {
    return send(res, 404, { error: { message: `no route ${req.method} ${url.pathname}`, type: 'invalid_request_error' } });
  }
  const body = await readJson(req);
  if (!body.ok) return send(res, body.status, { error: { message: body.message, type: 'invalid_request_error' } });

  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  try {
    if (url.pathname === '/v1/classifications') {
      const parsed = ClassifyParams.safeParse(body.value);
      if (!parsed.success) return send(res, 400, { error: { message: z.prettifyError(parsed.error), type: 'invalid_request_error' } });
      return send(res, 200, await service.classify(parsed.data, abort.signal, () => {}));
    }
    const parsed = ChatRequest.safeParse(body.value);
    if (!parsed.success) return send(res, 400, { error: { message: z.prettifyError(parsed.error), type: 'invalid_request_error' } });
    const user = [...parsed.data.messages].reverse().find((m) => m.role === 'user');
    const system = parsed.data.messages.find((m) => m.role === 'system');
    if (!user) return send(res, 400, { error: { message: 'messages: no user message', type: 'invalid_request_error' } });
    const result = await service.refine(
      { text: user.content, instruction: system?.content ?? 'Answer the request.', ensemble: parsed.data.model, maxTokens: parsed.data.max_tokens ?? 256 },
      abort.signal,
      () => {},
    );
    if (parsed.data.stream) {
      const chunk = (delta: Record<string, string>, finish: string | null) =>
        `data: ${JSON.stringify({ id: `chatcmpl-${result.id}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: result.ensemble, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.end(chunk({ role: 'assistant', content: result.text }, null) + chunk({}, result.partial ? 'length' : 'stop') + 'data: [DONE]\n\n');
      return;
    }
    return send(res, 200, {
      id: `chatcmpl-${result.id}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: result.ensemble,
      choices: [{ index: 0, message: { role: 'assistant', content: result.text }, finish_reason: result.partial ? 'length' : 'stop' }],
      ensemble: { steps: result.steps, partial: result.partial },
    });
  } catch (e) {
    const err = asEnsembleError(e);
    logger.warn(`gateway ${url.pathname}: ${err.kind}: ${err.message}`);
    const status = err.kind === 'EnsembleNotFound' || err.kind === 'NotFound' ? 404 : err.kind === 'BadInput' ? 400 : err.kind === 'ModelUnavailable' || err.kind === 'BackendBusy' ? 503 : 500;
    return send(res, status, { error: { message: err.message, type: err.kind, code: err.code } });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; status: number; message: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > LIMITS.maxPayloadBytes) return { ok: false, status: 413, message: `request body over ${LIMITS.maxPayloadBytes} bytes` };
    chunks.push(chunk);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, status: 400, message: 'request body is not valid JSON' };
  }
}

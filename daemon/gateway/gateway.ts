/**
 * The OpenAI-compatible HTTP gateway: the pool's shared API for tools that do not speak our
 * JSON-RPC. Requests reach here only after the token/Host/Origin checks.
 * - `GET /v1/models`: the ensembles;
 * - `POST /v1/chat/completions`: `model` is `<ensemble>` (refinement chat over the whole
 *   conversation, real token streaming) or `<ensemble>/classify | /extract | /answer` (tasks voted
 *   by the ensemble, their votes in the extra top-level `ensemble` field; see gateway/tasks.ts), or
 *   `<ensemble>/compare | /fusion | /firstSuccess` (generation strategies; gateway/generation.ts);
 * - `POST /v1/classifications`: a full Decision for `ensemble/classify` params.
 * Errors come in OpenAI's shape with OpenAI's status codes (gateway/errors.ts), within the bounds
 * of `LIMITS.gateway` (protocol/limits.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { freshAbortController } from '../../common/freshAbort';
import { asEnsembleError } from '../../protocol/errors';
import { ClassifyParams } from '../../protocol/methods';
import { readJsonBody } from './body';
import { chatCompletion } from './chat';
import { ChatRequest, parseModel } from './chatRequest';
import { GatewayError, fromEnsembleError, invalidBody, sendError, sendJson } from './errors';
import { LIMITS } from '../../protocol/limits';
import { taskCompletion } from './tasks';
import { generationCompletion } from './generation';
import type { Logger } from '../process/log';
import type { Handlers } from '../handlers/handlers';

let inFlight = 0;

/** The extra body field `ensemble` (generation options), when the body is an object. */
function extraField(body: unknown): unknown {
  return typeof body === 'object' && body !== null && 'ensemble' in body ? (body as { ensemble: unknown }).ensemble : undefined;
}

export async function handleGateway(req: IncomingMessage, res: ServerResponse, handlers: Handlers, logger: Logger): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method === 'GET' && url.pathname === '/health') return sendJson(res, 200, { ok: true });
  if (req.method === 'GET' && url.pathname === '/v1/models') {
    const status = handlers.status();
    return sendJson(res, 200, {
      object: 'list',
      data: status.ensembles.map((e) => ({ id: e.name, object: 'model', created: 0, owned_by: 'ensemble' })),
    });
  }
  if (req.method !== 'POST' || !['/v1/chat/completions', '/v1/classifications'].includes(url.pathname)) {
    return sendError(
      res,
      new GatewayError(404, `no route ${req.method} ${url.pathname.slice(0, 200)}`, 'invalid_request_error', null, 'unknown_url'),
    );
  }
  if (inFlight >= LIMITS.gateway.maxInFlight) {
    res.setHeader('retry-after', '1');
    return sendError(
      res,
      new GatewayError(429, `the gateway is serving ${inFlight} requests; retry shortly`, 'rate_limit_error', null, 'rate_limit_exceeded'),
    );
  }
  inFlight++;
  const abort = freshAbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  try {
    const body = await readJsonBody(req);
    if (url.pathname === '/v1/classifications') {
      const parsed = ClassifyParams.safeParse(body);
      if (!parsed.success) throw invalidBody(parsed.error);
      return sendJson(res, 200, await handlers.classify(parsed.data, abort.signal, () => {}));
    }
    const parsed = ChatRequest.safeParse(body);
    if (!parsed.success) throw invalidBody(parsed.error);
    const { ensemble, task: named, bare } = parseModel(parsed.data.model);
    const configured = bare ? handlers.generationStrategyOf(ensemble) : undefined;
    const task = configured && configured !== 'refine' ? configured : named;
    if (task === 'chat') await chatCompletion(res, handlers, parsed.data, ensemble, abort.signal);
    else if (task === 'compare' || task === 'fusion' || task === 'firstSuccess' || task === 'mux')
      await generationCompletion(res, handlers, parsed.data, extraField(body), ensemble, task, abort.signal);
    else await taskCompletion(res, handlers, parsed.data, ensemble, task, abort.signal);
  } catch (e) {
    const err = e instanceof GatewayError ? e : fromEnsembleError(asEnsembleError(e));
    if (err.status >= 500) logger.warn(`gateway ${url.pathname}: ${err.code ?? err.type}: ${err.message}`);
    if (err.status === 413) res.setHeader('connection', 'close'); // the rest of the body is not read
    if (res.headersSent) {
      // Mid-stream: OpenAI's clients raise an `error` event as an APIError.
      if (!res.writableEnded) res.end(`data: ${JSON.stringify(err.body())}\n\n`);
      return;
    }
    sendError(res, err);
  } finally {
    inFlight--;
  }
}

/**
 * Generation strategies through `POST /v1/chat/completions` with `model: "<ensemble>/compare |
 * /fusion | /firstSuccess | /mux"` (docs/generation.md). The prompt is the last user message, after the
 * earlier turns as a transcript when there are any. Fusion streams the judge's tokens as they come;
 * firstSuccess sends the accepted answer once it is accepted; compare (nothing synthesized) sends
 * every member's answer under its name. The whole result, panel included, is in the extra
 * top-level `ensemble` field (on the last chunk when streaming). Options a client cannot say in
 * OpenAI's fields (judge, mode, minResponses, roundTimeoutMs, k) go in an extra body field
 * `ensemble`, which the official clients pass through unchanged.
 */
import crypto from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { GenerateParams, type GenerationResult } from '../../protocol/generation';
import type { Handlers } from '../handlers/handlers';
import { conversation, type ChatRequest } from './chatRequest';
import { badRequest, invalidBody, sendJson } from './errors';
import { chunkStream, completion } from './sse';

export type GatewayStrategy = 'compare' | 'fusion' | 'firstSuccess' | 'mux';

const GatewayOptions = GenerateParams.pick({
  judge: true,
  mode: true,
  minResponses: true,
  roundTimeoutMs: true,
  maxAnswerChars: true,
  judgeTemplate: true,
  k: true,
  samples: true,
  temperature: true,
  deadlineMs: true,
}).strict();

export async function generationCompletion(
  res: ServerResponse,
  handlers: Handlers,
  req: ChatRequest,
  rawOptions: unknown,
  ensemble: string | undefined,
  strategy: GatewayStrategy,
  signal: AbortSignal,
): Promise<void> {
  const options = GatewayOptions.safeParse(rawOptions ?? {});
  if (!options.success) throw invalidBody(options.error);
  const params = GenerateParams.parse({
    ...options.data,
    prompt: promptOf(req),
    strategy,
    ensemble,
    maxTokens: req.max_completion_tokens ?? req.max_tokens ?? 256,
  });
  const summary = (r: GenerationResult) => ({ ensemble: r });
  if (!req.stream) {
    const result = await handlers.generate(params, signal, () => {});
    return void sendJson(res, 200, completion(`chatcmpl-${result.id}`, req.model, contentOf(result), 'stop', summary(result)));
  }
  const stream = chunkStream(res, `chatcmpl-${crypto.randomUUID()}`, req.model);
  let streamed = '';
  const result = await handlers.generate(params, signal, (p) => {
    if (p.kind !== 'judgeToken' || strategy !== 'fusion' || params.mode !== 'synthesize') return;
    stream.delta(streamed ? { content: p.text } : { role: 'assistant', content: p.text.trimStart() });
    streamed += p.text;
  });
  if (!streamed) stream.delta({ role: 'assistant', content: contentOf(result) });
  stream.delta({}, 'stop', summary(result));
  stream.done();
}

function promptOf(req: ChatRequest): string {
  const turns = conversation(req);
  const lastUser = turns.findLastIndex((m) => m.role === 'user');
  if (lastUser < 0 || !turns[lastUser]!.content.trim())
    throw badRequest('messages: the conversation needs a user message with text', 'messages');
  if (turns.length === 1) return turns[0]!.content;
  return turns.map((t) => `${t.role}: ${t.content}`).join('\n\n');
}

/** compare synthesizes nothing: every member's answer under its name. */
function contentOf(r: GenerationResult): string {
  if (r.strategy !== 'compare') return r.text;
  return r.panel.map((a) => `## ${a.member} (${a.status})\n${a.text.trim()}`).join('\n\n');
}

/**
 * Chat completions by sequential refinement over the whole conversation. Streaming sends real
 * tokens: the content is the last member's edit as it is generated (every step, with its text, is in
 * the last chunk's `ensemble` field). When the chain ends before its last member
 * (an editor left the draft unchanged, or the last member failed before writing anything), the
 * final text arrives as one chunk. If the last member fails after it started streaming, the stream
 * ends with finish_reason "length" and `ensemble.text` holds the last complete text.
 */
import crypto from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { RefineResult } from '../../protocol/ensemble';
import type { Handlers } from '../handlers/handlers';
import { conversation, type ChatRequest } from './chatRequest';
import { badRequest, sendJson } from './errors';
import { chunkStream, completion } from './sse';

export async function chatCompletion(
  res: ServerResponse,
  handlers: Handlers,
  req: ChatRequest,
  ensemble: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const turns = conversation(req);
  const lastUser = [...turns].reverse().find((m) => m.role === 'user');
  if (!lastUser?.content.trim()) throw badRequest('messages: the conversation needs a user message with text', 'messages');
  const params = {
    text: lastUser.content,
    instruction: 'Answer the conversation.',
    ensemble,
    maxTokens: req.max_completion_tokens ?? req.max_tokens ?? 256,
  };
  const summary = (r: RefineResult) => ({ id: r.id, steps: r.steps, partial: r.partial, converged: r.converged ?? false, text: r.text });
  if (!req.stream) {
    const result = await handlers.refine(params, signal, () => {}, { conversation: turns });
    return void sendJson(
      res,
      200,
      completion(`chatcmpl-${result.id}`, result.ensemble, result.text, result.partial ? 'length' : 'stop', { ensemble: summary(result) }),
    );
  }
  let stream: ReturnType<typeof chunkStream> | undefined;
  const open = () => (stream ??= startStream(res, req.model));
  let streamedLast = '';
  let lastStepOk = false;
  const result = await handlers.refine(
    params,
    signal,
    (p) => {
      if (p.kind === 'refineStep' && p.done === p.total) lastStepOk = p.step.status === 'ok';
    },
    {
      conversation: turns,
      onToken: (t) => {
        if (!t.last) return;
        streamedLast += t.text;
        const first = streamedLast === t.text;
        open().delta(first ? { role: 'assistant', content: t.text.trimStart() } : { content: t.text });
      },
    },
  );
  const s = open();
  let finish: 'stop' | 'length' = result.partial ? 'length' : 'stop';
  if (!streamedLast) {
    s.delta({ role: 'assistant', content: result.text }); // nothing of the last member streamed: the final text as one chunk
  } else if (!lastStepOk) {
    finish = 'length';
  }
  s.delta({}, finish, { ensemble: summary(result) });
  s.done();
}

function startStream(res: ServerResponse, model: string) {
  return chunkStream(res, `chatcmpl-${crypto.randomUUID()}`, model);
}

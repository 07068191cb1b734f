/** Server-sent `chat.completion.chunk` events, as OpenAI streams them, ending with `data: [DONE]`. */
import type { ServerResponse } from 'node:http';

export interface ChunkStream {
  delta(delta: { role?: 'assistant'; content?: string }, finishReason?: 'stop' | 'length' | null, extra?: Record<string, unknown>): void;
  done(): void;
}

export function chunkStream(res: ServerResponse, id: string, model: string): ChunkStream {
  const created = Math.floor(Date.now() / 1000);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  const write = (data: string) => {
    if (!res.destroyed && !res.writableEnded) res.write(`data: ${data}\n\n`);
  };
  return {
    delta(delta, finishReason = null, extra = {}) {
      write(
        JSON.stringify({
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
          ...extra,
        }),
      );
    },
    done() {
      write('[DONE]');
      if (!res.writableEnded) res.end();
    },
  };
}

export function completion(
  id: string,
  model: string,
  content: string,
  finishReason: 'stop' | 'length',
  extra: Record<string, unknown> = {},
) {
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finishReason }],
    usage: null,
    ...extra,
  };
}

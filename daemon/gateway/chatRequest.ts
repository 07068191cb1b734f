/**
 * The chat completions request as the official clients send it: the whole conversation (system or
 * developer, user and assistant turns; content as a string or an array of text parts), bounded.
 * Fields we do not use (temperature, top_p, user, seed...) are accepted and ignored, as OpenAI-
 * compatible servers do; parts other than text are refused with a clear 400.
 */
import { z } from 'zod';
import type { ChatMessage } from '../backends/backend';
import { LIMITS } from '../../protocol/limits';

const L = LIMITS.gateway;

const TextPart = z.object({ type: z.literal('text'), text: z.string().max(L.maxContentChars) });
const Content = z.union([
  z.string().max(L.maxContentChars),
  z.array(TextPart, { error: 'only text parts ({"type": "text", "text": ...}) are supported' }).max(L.maxMessages),
]);

const Message = z.discriminatedUnion(
  'role',
  [
    z.object({ role: z.literal('system'), content: Content }),
    z.object({ role: z.literal('developer'), content: Content }),
    z.object({ role: z.literal('user'), content: Content }),
    // Assistant turns that only called tools have null content.
    z.object({ role: z.literal('assistant'), content: Content.nullable().optional() }),
  ],
  { error: 'role must be "system", "developer", "user" or "assistant"' },
);

export const ResponseFormat = z.union([
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().max(L.maxModelChars),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormat>;

export const ChatRequest = z
  .object({
    model: z.string().min(1).max(L.maxModelChars),
    messages: z.array(Message).min(1).max(L.maxMessages),
    max_tokens: z.number().int().min(1).max(L.maxTokens).nullish(),
    max_completion_tokens: z.number().int().min(1).max(L.maxTokens).nullish(),
    stream: z.boolean().nullish(),
    response_format: ResponseFormat.nullish(),
    /** Requests with n > 1 would need several chains; refused rather than silently answered once. */
    n: z.literal(1).nullish(),
  })
  .superRefine((req, ctx) => {
    const total = req.messages.reduce((sum, m) => sum + textOf(m.content).length, 0);
    if (total > L.maxTotalChars)
      ctx.addIssue({ code: 'custom', path: ['messages'], message: `the messages hold ${total} characters, over ${L.maxTotalChars}` });
    req.messages.forEach((m, i) => {
      const n = textOf(m.content).length;
      if (n > L.maxContentChars)
        ctx.addIssue({ code: 'custom', path: ['messages', i, 'content'], message: `${n} characters, over ${L.maxContentChars}` });
    });
  });
export type ChatRequest = z.infer<typeof ChatRequest>;

function textOf(content: z.infer<typeof Content> | null | undefined): string {
  if (content === null || content === undefined) return '';
  return typeof content === 'string' ? content : content.map((p) => p.text).join('\n');
}

/** The conversation in the backends' shape ("developer" is OpenAI's newer name for "system"). */
export function conversation(req: ChatRequest): ChatMessage[] {
  return req.messages.map((m) => ({ role: m.role === 'developer' ? 'system' : m.role, content: textOf(m.content) }));
}

type GatewayTask = 'chat' | 'classify' | 'extract' | 'answer' | 'compare' | 'fusion' | 'firstSuccess' | 'mux';

/**
 * `<ensemble>/<task>` names a task or a generation strategy; `/chat` and `/refine` are refinement
 * chat, and so is a bare name unless the ensemble's config sets another `generation.strategy`.
 */
export function parseModel(model: string): { ensemble: string | undefined; task: GatewayTask; bare: boolean } {
  // Split at the last "/" rather than match /^(.*?)(?:\/(task))?$/: "." stops at a newline, and a client's name may hold one.
  const slash = model.lastIndexOf('/');
  const suffix = slash < 0 ? '' : model.slice(slash + 1);
  const named = SUFFIXES.find((t) => t === suffix);
  const ensemble = (named ? model.slice(0, slash) : model) || undefined;
  return { ensemble, task: named === undefined || named === 'refine' ? 'chat' : named, bare: named === undefined };
}

const SUFFIXES = ['chat', 'refine', 'classify', 'extract', 'answer', 'compare', 'fusion', 'firstSuccess', 'mux'] as const;

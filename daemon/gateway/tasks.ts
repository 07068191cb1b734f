/**
 * Classification, extraction and answering through `POST /v1/chat/completions`, in a shape the
 * official clients send and read without patches:
 * - `model: "<ensemble>/classify"`: the text is the last user message (system messages are the
 *   instruction); the labels are the string enum in `response_format: {type: "json_schema",
 *   json_schema: {schema: {properties: {label: {enum: [...]}}}}}` (default: the ensemble's labels).
 *   The content is `{"label": "<winner>"}` (the enum's property name);
 * - `model: "<ensemble>/extract"`: the entity types are the enum (e.g. on `entities.items.type`);
 *   the content is `{"entities": [{type, text, start, end, agreement}]}` for the kept spans;
 * - `model: "<ensemble>/answer"`: the question is the last user message; an enum, when given, is
 *   the options. The content is the answer (`""` when no quorum agreed), or `{"answer": ...}` when
 *   a JSON schema was given.
 * Every response carries the whole result, member votes included, in the extra top-level field
 * `ensemble` (also on the last chunk when streaming).
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { AnswerParams, ExtractParams } from '../../protocol/tasks';
import { ClassifyParams } from '../../protocol/methods';
import type { Handlers } from '../handlers/handlers';
import { conversation, type ChatRequest } from './chatRequest';
import { badRequest, invalidBody, sendJson } from './errors';
import { schemaChoices } from './schemaChoices';
import { chunkStream, completion } from './sse';

type Task = 'classify' | 'extract' | 'answer';

export async function taskCompletion(
  res: ServerResponse,
  handlers: Handlers,
  req: ChatRequest,
  ensemble: string | undefined,
  task: Task,
  signal: AbortSignal,
): Promise<void> {
  const turns = conversation(req);
  const text = [...turns].reverse().find((m) => m.role === 'user')?.content ?? '';
  if (!text.trim()) throw badRequest('messages: the conversation needs a user message with text', 'messages');
  const instruction =
    turns
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n') || undefined;
  const choices = schemaChoices(req.response_format);
  const { content, id, extra } = await run();
  const model = req.model;
  if (!req.stream) return void sendJson(res, 200, completion(`chatcmpl-${id}`, model, content, 'stop', { ensemble: extra }));
  const s = chunkStream(res, `chatcmpl-${id}`, model);
  s.delta({ role: 'assistant', content });
  s.delta({}, 'stop', { ensemble: extra });
  s.done();

  async function run(): Promise<{ content: string; id: string; extra: Record<string, unknown> }> {
    if (task === 'classify') {
      const params = parse(ClassifyParams, { text, labels: choices?.values, ensemble, instruction: instruction?.slice(0, 4_000) });
      const decision = await handlers.classify(params, signal, () => {});
      return { content: JSON.stringify({ [choices?.property ?? 'label']: decision.label }), id: decision.id, extra: { task, decision } };
    }
    if (task === 'extract') {
      if (!choices) {
        throw badRequest(
          'response_format: give the entity types as a string enum in a json_schema (e.g. on entities.items.type); see docs/protocol.md, "Gateway"',
          'response_format',
        );
      }
      const params = parse(ExtractParams, { text, types: choices.values, ensemble, instruction: instruction?.slice(0, 4_000) });
      const extraction = await handlers.extract(params, signal, () => {});
      const entities = extraction.spans.map((s) => ({ type: s.type, text: s.text, start: s.start, end: s.end, agreement: s.agreement }));
      return { content: JSON.stringify({ entities }), id: extraction.id, extra: { task, extraction } };
    }
    const params = parse(AnswerParams, { question: text, options: choices?.values, ensemble });
    const result = await handlers.answer(params, signal, () => {});
    const content =
      req.response_format?.type === 'json_schema'
        ? JSON.stringify({ [choices?.property ?? 'answer']: result.answer })
        : (result.answer ?? '');
    return { content, id: result.id, extra: { task, answer: result } };
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidBody(parsed.error);
  return parsed.data;
}

/**
 * What the inspector shows of tasks other than classification: a refinement chain growing token by
 * token, an extraction's kept spans, a voted answer. The schemas travel extension -> webview; the
 * reducers are pure and shared, so the extension (which replays state on `init`) and the webview
 * (which applies live deltas) build the same view.
 */
import { z } from 'zod';
import { RefineStep, VoteStatus, type RefineResult } from './ensemble';
import { AnswerResult, ExtractionResult } from './tasks';
import { GenerationResult } from './generation';

/** Longest step text the inspector keeps (a step generates at most 4,096 tokens anyway). */
const MAX_STEP_TEXT = 64_000;

export const RefineStepView = z.object({
  index: z.number().int().min(0),
  member: z.string(),
  model: z.string(),
  role: RefineStep.shape.role,
  /** `streaming` while its tokens arrive. */
  status: z.union([VoteStatus, z.literal('streaming')]),
  text: z.string().max(MAX_STEP_TEXT),
  latencyMs: z.number().min(0).optional(),
  error: z.string().optional(),
});
export type RefineStepView = z.infer<typeof RefineStepView>;

export const RefineView = z.object({
  kind: z.literal('refine'),
  id: z.string(),
  textPreview: z.string().max(400).optional(),
  total: z.number().int().min(0),
  steps: z.array(RefineStepView),
  done: z.boolean(),
  /** The final text, once done. */
  text: z.string().optional(),
  partial: z.boolean().optional(),
  converged: z.boolean().optional(),
});
export type RefineView = z.infer<typeof RefineView>;

export const ExtractionView = z.object({
  kind: z.literal('extraction'),
  id: z.string(),
  textPreview: z.string().max(400).optional(),
  result: ExtractionResult,
});
export type ExtractionView = z.infer<typeof ExtractionView>;

export const AnswerView = z.object({ kind: z.literal('answer'), id: z.string(), result: AnswerResult });
export type AnswerView = z.infer<typeof AnswerView>;

/** A generation (compare, fusion, firstSuccess, mux) with its whole panel, shown side by side. */
export const GenerationView = z.object({ kind: z.literal('generation'), id: z.string(), result: GenerationResult });
export type GenerationView = z.infer<typeof GenerationView>;

export const TaskView = z.discriminatedUnion('kind', [RefineView, ExtractionView, AnswerView, GenerationView]);
export type TaskView = z.infer<typeof TaskView>;

/** A piece of a refinement step's text, as the daemon streamed it. */
export const RefineTokenDelta = z.object({
  id: z.string(),
  index: z.number().int().min(0),
  member: z.string(),
  model: z.string(),
  role: RefineStep.shape.role,
  text: z.string(),
  total: z.number().int().min(0),
});
export type RefineTokenDelta = z.infer<typeof RefineTokenDelta>;

export function emptyRefineView(id: string, total: number, textPreview?: string): RefineView {
  return { kind: 'refine', id, total, steps: [], done: false, ...(textPreview ? { textPreview } : {}) };
}

/** The chain with `delta` appended to its step (created on its first token). */
export function withRefineToken(view: RefineView, delta: RefineTokenDelta): RefineView {
  const steps = [...view.steps];
  const at = steps.findIndex((s) => s.index === delta.index);
  const old =
    at >= 0
      ? steps[at]!
      : { index: delta.index, member: delta.member, model: delta.model, role: delta.role, status: 'streaming' as const, text: '' };
  const next: RefineStepView = { ...old, text: (old.text + delta.text).slice(0, MAX_STEP_TEXT) };
  if (at >= 0) steps[at] = next;
  else steps.push(next);
  steps.sort((a, b) => a.index - b.index);
  return { ...view, total: Math.max(view.total, delta.total), steps };
}

/** The chain with a finished step (its final text replaces what streamed). */
export function withRefineStep(view: RefineView, step: RefineStep, index: number, total: number): RefineView {
  const done: RefineStepView = {
    index,
    member: step.member,
    model: step.model,
    role: step.role,
    status: step.status,
    text: step.status === 'ok' ? step.text.slice(0, MAX_STEP_TEXT) : (view.steps.find((s) => s.index === index)?.text ?? ''),
    latencyMs: step.latencyMs,
    ...(step.error ? { error: step.error.message } : {}),
  };
  const steps = [...view.steps.filter((s) => s.index !== index), done].sort((a, b) => a.index - b.index);
  return { ...view, total, steps };
}

/** The chain once the daemon's result arrived. */
export function withRefineResult(view: RefineView, result: RefineResult): RefineView {
  let next: RefineView = { ...view, id: result.id };
  result.steps.forEach((s, i) => (next = withRefineStep(next, s, i, Math.max(view.total, result.steps.length))));
  return {
    ...next,
    done: true,
    text: result.text,
    partial: result.partial,
    ...(result.converged !== undefined ? { converged: result.converged } : {}),
  };
}

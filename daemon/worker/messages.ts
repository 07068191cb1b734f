/**
 * Daemon <-> model worker messages, declared once (as protocol/methods.ts is for clients) and
 * checked with zod on both sides of the IPC channel.
 *
 * A worker hosts one in-process backend per member: one member for a plain model, or every LoRA
 * adapter member over one base file (they share the base's weights; workerGroups.ts decides who
 * shares). Every message names its member by the handle the daemon gave it at `init` (unique per
 * worker, so a member being replaced and its successor can both live in one worker while the old
 * one drains). The daemon calls a member's Backend methods by name. A call is
 * `call` -> (`token`*) -> `result` | `error`; `cancel` aborts it; `dispose` unloads one member
 * (its context and adapter; the base stays while another member holds it) and is answered by
 * `disposed`. Adding a Backend method is one entry in `workerMethods`. Requests pass through whole
 * (loose objects), so fields a newer daemon adds to GenerateRequest reach the backend without
 * touching this file.
 */
import { z } from 'zod';
import { ModelEntry } from '../../protocol/config';
import { ERROR_KINDS } from '../../protocol/errors';
import { ConfidenceSource, LabelProbabilities, PromptStyle } from '../../protocol/ensemble';

const Runtime = z.object({
  gpu: z.string(),
  layersOffloaded: z.number().int().min(0),
  layers: z.number().int().min(0).optional(),
  vramBytes: z.number().min(0),
});

const Health = z.object({
  ok: z.boolean(),
  reason: z.string().optional(),
  hint: z.string().optional(),
  memoryBytes: z.number().optional(),
  runtime: Runtime.optional(),
});

const LabelRequest = z.looseObject({
  text: z.string(),
  labels: z.array(z.string()),
  instruction: z.string().optional(),
  promptStyle: PromptStyle,
});

const LabelScores = z.object({
  label: z.string().nullable(),
  probabilities: LabelProbabilities,
  confidence: z.number().nullable(),
  confidenceSource: ConfidenceSource,
  text: z.string().optional(),
});

const GenerateRequest = z.looseObject({
  system: z.string().optional(),
  prompt: z.string(),
  maxTokens: z.number().int(),
  temperature: z.number().optional(),
});

/** Backend methods a worker serves: params and result of each. */
export const workerMethods = {
  health: { params: z.object({}), result: Health },
  classify: { params: LabelRequest, result: LabelScores },
  generate: { params: GenerateRequest, result: z.object({ text: z.string() }) },
  applyPlacement: { params: z.object({ gpuLayers: z.number().int().min(0) }), result: z.object({}) },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;

export type WorkerMethod = keyof typeof workerMethods;
export type WorkerParams<M extends WorkerMethod> = z.infer<(typeof workerMethods)[M]['params']>;
export type WorkerResult<M extends WorkerMethod> = z.infer<(typeof workerMethods)[M]['result']>;

const MethodName = z.enum(Object.keys(workerMethods) as [WorkerMethod, ...WorkerMethod[]]);
const CallId = z.number().int().nonnegative();
/** A member's handle in its worker (the model id plus a number: unique per worker). */
const Member = z.string().min(1).max(300);

export const ToWorker = z.discriminatedUnion('type', [
  /** A member this worker hosts from now on (sent for every member before its first call, again after a restart). */
  z.object({ type: z.literal('init'), member: Member, entry: ModelEntry }),
  z.object({ type: z.literal('call'), member: Member, id: CallId, method: MethodName, params: z.unknown() }),
  z.object({ type: z.literal('cancel'), member: Member, id: CallId }),
  /** The member left the pool: free its context (and the base once no other member holds it). */
  z.object({ type: z.literal('dispose'), member: Member }),
]);
export type ToWorker = z.infer<typeof ToWorker>;

/**
 * A failed call. The kind is one of ours; a kind this daemon does not know (a worker from another
 * build) reads as BackendError rather than making the whole reply malformed, which would leave the
 * call unanswered.
 */
export const WorkerError = z.object({
  kind: z.enum(ERROR_KINDS).catch('BackendError'),
  message: z.string(),
  hint: z.string().optional(),
});

export const FromWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('result'), member: Member, id: CallId, value: z.unknown() }),
  z.object({ type: z.literal('error'), member: Member, id: CallId, error: WorkerError }),
  /** Generated text as it comes (generate's onToken). */
  z.object({ type: z.literal('token'), member: Member, id: CallId, text: z.string() }),
  /** A `dispose` is done: the member's memory is given back. */
  z.object({ type: z.literal('disposed'), member: Member }),
]);
export type FromWorker = z.infer<typeof FromWorker>;

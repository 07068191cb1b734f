/**
 * Daemon <-> model worker messages, declared once (as protocol/methods.ts is for clients) and
 * checked with zod on both sides of the IPC channel.
 *
 * The worker hosts one in-process backend; the daemon calls its Backend methods by name. A call is
 * `call` -> (`token`*) -> `result` | `error`; `cancel` aborts it. Adding a Backend method is one
 * entry in `workerMethods`. Requests pass through whole (loose objects), so fields a newer daemon
 * adds to GenerateRequest reach the backend without touching this file.
 */
import { z } from 'zod';
import { ModelEntry } from '../../protocol/config';
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

export const ToWorker = z.discriminatedUnion('type', [
  /** First message: the model this worker hosts. */
  z.object({ type: z.literal('init'), entry: ModelEntry }),
  z.object({ type: z.literal('call'), id: CallId, method: MethodName, params: z.unknown() }),
  z.object({ type: z.literal('cancel'), id: CallId }),
]);
export type ToWorker = z.infer<typeof ToWorker>;

export const WorkerError = z.object({ kind: z.string(), message: z.string(), hint: z.string().optional() });

export const FromWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('result'), id: CallId, value: z.unknown() }),
  z.object({ type: z.literal('error'), id: CallId, error: WorkerError }),
  /** Generated text as it comes (generate's onToken). */
  z.object({ type: z.literal('token'), id: CallId, text: z.string() }),
]);
export type FromWorker = z.infer<typeof FromWorker>;

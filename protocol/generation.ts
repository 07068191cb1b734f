/**
 * Generation strategies over a panel of members (docs/generation.md): `compare` (everyone answers,
 * nothing is synthesized), `fusion` (a panel answers, then a judge synthesizes or selects),
 * `firstSuccess` (members in order, k at a time, the first acceptable answer wins) and `refine`
 * (the draft-and-edit chain of `ensemble/refine`) and `mux` (each member samples several answers;
 * the most self-consistent member wins). Declared once, checked at both ends.
 */
import { z } from 'zod';
import { ErrorInfo } from './ensemble';
import { LIMITS } from './limits';

export const GenerationStrategy = z.enum(['compare', 'fusion', 'firstSuccess', 'refine', 'mux']);
export type GenerationStrategy = z.infer<typeof GenerationStrategy>;

export const JudgeMode = z.enum(['synthesize', 'select']);
export type JudgeMode = z.infer<typeof JudgeMode>;

/** The judge's default prompt; `{prompt}` and `{answers}` are filled in (docs/generation.md). */
export const DEFAULT_JUDGE_TEMPLATE = {
  synthesize:
    'Several assistants answered the same request. Write the single best answer to the request, ' +
    'using what is correct in their answers. Reply with the answer only.\n\nRequest:\n{prompt}\n\nAnswers:\n{answers}',
  select:
    'Several assistants answered the same request. Choose the best answer. Reply with its number only.\n\n' +
    'Request:\n{prompt}\n\nAnswers:\n{answers}',
} as const;

export const GenerateParams = z.object({
  prompt: z.string().min(1).max(LIMITS.maxTextChars),
  /** Default: the ensemble's `generation.strategy`, else compare. */
  strategy: GenerationStrategy.optional(),
  ensemble: z.string().max(200).optional(),
  maxTokens: z.number().int().min(1).max(4_096).default(256),
  /** Overrides the ensemble's whole-request deadline. */
  deadlineMs: z.number().int().positive().max(600_000).optional(),
  /** fusion: the judge, a model id (a member's model or any model of the config); default the first member's model. */
  judge: z.string().min(1).max(200).optional(),
  mode: JudgeMode.default('synthesize'),
  /** fusion: panel answers the judge needs; the round waits for them up to `roundTimeoutMs`. */
  minResponses: z.number().int().min(1).max(64).default(1),
  /** fusion: the panel round ends here; the judge works with what arrived and the result names who was missing. */
  roundTimeoutMs: z.number().int().positive().max(600_000).optional(),
  /** fusion: each panel answer is cut to this many characters before the judge sees it. */
  maxAnswerChars: z.number().int().min(16).max(LIMITS.maxTextChars).default(2_000),
  /** fusion: the judge's prompt; must hold `{answers}`, may hold `{prompt}`. */
  judgeTemplate: z
    .string()
    .max(8_000)
    .refine((t) => t.includes('{answers}'), { message: 'the judge template must contain "{answers}"' })
    .optional(),
  /** firstSuccess: members asked together per round (1 = strictly in order). */
  k: z.number().int().min(1).max(64).default(1),
  /** mux: answers each member samples, and their temperature (0 would give n identical samples). */
  samples: z.number().int().min(2).max(16).default(3),
  temperature: z.number().min(0).max(2).default(0.8),
  /** firstSuccess: an answer is accepted only when it parses as JSON (and matches this schema's required keys, when given). */
  jsonSchema: z.record(z.string(), z.unknown()).optional(),
  progressToken: z.union([z.string().max(128), z.number().int()]).optional(),
  /** Kept with the recording: the caller's item id, its dataset, and the right answer when known (for `ensemble eval`). */
  itemId: z.string().max(200).optional(),
  dataset: z.string().max(500).optional(),
  gold: z.string().max(LIMITS.maxTextChars).optional(),
});
export type GenerateParams = z.infer<typeof GenerateParams>;

/**
 * What happened to one member's answer: `ok`; `timeout`/`error` as for votes; `missing` (fusion:
 * still running when the round ended, cancelled); `cancelled` (firstSuccess: another member's answer
 * was accepted first); `rejected` (firstSuccess: answered, but failed the acceptance check);
 * `skipped` (never asked).
 */
export const PanelStatus = z.enum(['ok', 'timeout', 'error', 'missing', 'cancelled', 'rejected', 'skipped']);
export type PanelStatus = z.infer<typeof PanelStatus>;

export const PanelAnswer = z.object({
  member: z.string(),
  model: z.string(),
  status: PanelStatus,
  /** The whole answer (also when it was cut for the judge). */
  text: z.string(),
  latencyMs: z.number().min(0),
  /** Pieces of text the backend streamed (a token each for llama.cpp and the OpenAI/Ollama servers). */
  tokens: z.number().int().min(0),
  /** `length` when it used all `maxTokens`, `stop` otherwise; null when it did not finish. */
  finishReason: z.enum(['stop', 'length']).nullable(),
  /** Why it was rejected, or its error. */
  error: ErrorInfo.optional(),
  /** mux: the member's samples that came back, and the share of them agreeing with their own majority. */
  samples: z.array(z.string()).optional(),
  consistency: z.number().min(0).max(1).optional(),
  /** 1-based round it was asked in. */
  round: z.number().int().min(0),
});
export type PanelAnswer = z.infer<typeof PanelAnswer>;

export const JudgeResult = z.object({
  model: z.string(),
  mode: JudgeMode,
  status: z.enum(['ok', 'timeout', 'error']),
  /** What the judge wrote. */
  text: z.string(),
  /** select: the member whose answer was chosen (null when the judge's choice could not be read). */
  selected: z.string().nullable(),
  /** Panel members whose answers the judge was shown, in the order shown. */
  shown: z.array(z.string()),
  latencyMs: z.number().min(0),
  error: ErrorInfo.optional(),
});
export type JudgeResult = z.infer<typeof JudgeResult>;

export const GenerationResult = z.object({
  id: z.string(),
  ensemble: z.string(),
  strategy: GenerationStrategy,
  /** ISO time the result was made. */
  createdAt: z.string(),
  /** The prompt, as recorded. */
  prompt: z.string(),
  /** The answer: the judge's (fusion), the accepted one (firstSuccess), the chain's (refine); compare: '' (nothing synthesized). */
  text: z.string(),
  /** The member whose answer `text` is, when it is one member's (firstSuccess, fusion select). */
  from: z.string().nullable(),
  panel: z.array(PanelAnswer),
  judge: JudgeResult.nullable(),
  /** fusion: members whose answers had not arrived when the round ended. */
  missing: z.array(z.string()),
  calls: z.number().int().min(0),
  rounds: z.number().int().min(0),
  elapsedMs: z.number().min(0),
});
export type GenerationResult = z.infer<typeof GenerationResult>;

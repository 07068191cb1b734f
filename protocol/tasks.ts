/**
 * Tasks beyond labels, voted by the same ensembles: short factual answers (normalized before
 * voting) and entity extraction (spans aligned to the input, kept when a quorum of members found
 * them). Shared by the daemon, the CLI, the gateway, the extension and the inspector.
 */
import { z } from 'zod';
import { ErrorInfo, PromptStyle, StrategyName, VoteStatus } from './ensemble';

const MAX_TEXT = 200_000;

/** Share of the members that answered which must agree; absent: more than half. */
export const Quorum = z.number().gt(0).max(1);

/** Recording a labelled dataset (`ensemble record --task answer|extract`): one result per (dataset, ensemble, item). */
const RecordingFields = {
  /** The dataset's id of the item; with `dataset`, recording it again replaces the earlier result. */
  itemId: z.string().min(1).max(1_000).optional(),
  /** The dataset (its absolute path, for `ensemble record`). */
  dataset: z.string().min(1).max(4_096).optional(),
};

/** A gold entity of a labelled extraction item: its type and its text as it appears in the input. */
export const GoldSpan = z.object({ type: z.string().min(1).max(100), text: z.string().min(1).max(2_000) });
export type GoldSpan = z.infer<typeof GoldSpan>;

export const AnswerParams = z.object({
  question: z.string().min(1).max(20_000),
  /** When the question offers choices: answers are mapped onto them (aliases, letters, case). */
  options: z.array(z.string().min(1).max(500)).max(100).optional(),
  ensemble: z.string().max(200).optional(),
  strategy: StrategyName.optional(),
  quorum: Quorum.optional(),
  deadlineMs: z.number().int().positive().max(600_000).optional(),
  progressToken: z.union([z.string().max(128), z.number().int()]).optional(),
  /** The right answer, when known: recorded (normalized like the members' answers) for `ensemble eval`. */
  gold: z.string().min(1).max(2_000).optional(),
  ...RecordingFields,
});
export type AnswerParams = z.infer<typeof AnswerParams>;

export const AnswerVote = z.object({
  member: z.string(),
  model: z.string(),
  promptStyle: PromptStyle,
  status: VoteStatus,
  /** What the model answered, as written (kept short). */
  answer: z.string().nullable(),
  /** The answer after normalization: what was voted on. */
  normalized: z.string().nullable(),
  /** The model's own confidence, calibrated when the model has a calibration. */
  confidence: z.number().min(0).max(1).nullable(),
  weight: z.number().min(0),
  latencyMs: z.number().min(0),
  error: ErrorInfo.optional(),
});
export type AnswerVote = z.infer<typeof AnswerVote>;

export const AnswerResult = z.object({
  id: z.string(),
  ensemble: z.string(),
  strategy: StrategyName,
  question: z.string(),
  /** The agreed answer as a member wrote it; null when no quorum agreed ("no agreement"). */
  answer: z.string().nullable(),
  normalized: z.string().nullable(),
  /** Share of answering members behind the leading answer (even when it fell short of the quorum). */
  agreement: z.number().min(0).max(1),
  confidence: z.number().min(0).max(1),
  quorum: z.number(),
  votes: z.array(AnswerVote),
  partial: z.boolean(),
  earlyExit: z.boolean(),
  note: z.string(),
  elapsedMs: z.number().min(0),
  createdAt: z.string(),
});
export type AnswerResult = z.infer<typeof AnswerResult>;

export const ExtractParams = z.object({
  text: z.string().min(1).max(MAX_TEXT),
  /** Entity types to find, e.g. ["person", "organization", "date"]. */
  types: z.array(z.string().min(1).max(100)).min(1).max(50),
  ensemble: z.string().max(200).optional(),
  quorum: Quorum.optional(),
  instruction: z.string().max(4_000).optional(),
  deadlineMs: z.number().int().positive().max(600_000).optional(),
  progressToken: z.union([z.string().max(128), z.number().int()]).optional(),
  /** The entities the text holds, when known (an empty list: none): recorded for `ensemble eval`. */
  gold: z.array(GoldSpan).max(1_000).optional(),
  ...RecordingFields,
});
export type ExtractParams = z.infer<typeof ExtractParams>;

/** An entity a member reported, before voting. */
export const ProposedSpan = z.object({ type: z.string(), text: z.string() });
export type ProposedSpan = z.infer<typeof ProposedSpan>;

/** An entity at its place in the input: `text` is `input.slice(start, end)`. */
export const Span = z.object({
  type: z.string(),
  text: z.string(),
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  /** Share of the members that answered which found this entity. */
  agreement: z.number().min(0).max(1),
  /** The members that found it. */
  members: z.array(z.string()),
});
export type Span = z.infer<typeof Span>;

export const ExtractionVote = z.object({
  member: z.string(),
  model: z.string(),
  status: VoteStatus,
  spans: z.array(ProposedSpan),
  /** Spans this member reported that are not in the input (dropped). */
  unaligned: z.number().int().min(0),
  /** Spans this member reported that are not listed in `spans`, to keep the reply within the frame limit. */
  spansNotShown: z.number().int().min(0).optional(),
  latencyMs: z.number().min(0),
  error: ErrorInfo.optional(),
});
export type ExtractionVote = z.infer<typeof ExtractionVote>;

/** What an extraction reply does not carry, by kind. */
export const ExtractionDropped = z.object({
  /** Kept spans (a quorum agreed) not listed. */
  spans: z.number().int().min(0),
  /** Rejected spans not listed. */
  rejected: z.number().int().min(0),
  /** Members' proposed spans not listed in their votes. */
  proposed: z.number().int().min(0),
  /** Proposed spans aligned only to their first places in the text (LIMITS.maxOccurrencesPerSpan). */
  occurrences: z.number().int().min(0),
});
export type ExtractionDropped = z.infer<typeof ExtractionDropped>;

export const ExtractionResult = z
  .object({
    id: z.string(),
    ensemble: z.string(),
    types: z.array(z.string()),
    /** Spans a quorum agreed on, in input order; overlaps resolved towards higher agreement. */
    spans: z.array(Span),
    /** Spans some member found that fell short of the quorum (or lost an overlap). */
    rejected: z.array(Span),
    quorum: z.number(),
    votes: z.array(ExtractionVote),
    partial: z.boolean(),
    note: z.string(),
    elapsedMs: z.number().min(0),
    createdAt: z.string(),
    /**
     * Set when the reply was cut to fit the frame limit or the span bounds (protocol/limits.ts);
     * `dropped` then counts what is missing. Absent when nothing was cut.
     */
    truncated: z.literal(true).optional(),
    dropped: ExtractionDropped.optional(),
  })
  .refine((r) => (r.truncated === true) === (r.dropped !== undefined), {
    message: 'truncated and dropped go together: a cut reply says what it dropped',
  });
export type ExtractionResult = z.infer<typeof ExtractionResult>;

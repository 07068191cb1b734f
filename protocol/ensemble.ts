/**
 * The vocabulary of an ensemble decision, shared by the daemon, the CLI, the extension and the
 * inspector webview. Everything that crosses a process boundary is described here once, with zod,
 * and validated on arrival.
 */
import { z } from 'zod';

/** How a member is asked. One model may appear several times with different styles (prompt diversity). */
export const PromptStyle = z.enum(['direct', 'stepByStep', 'withConfidence']);
export type PromptStyle = z.infer<typeof PromptStyle>;

/**
 * What happened to a member's vote:
 * - `ok`: it answered;
 * - `timeout`: it missed its deadline (the decision was made without it);
 * - `error`: its backend failed (unreachable, busy, malformed answer...);
 * - `skipped`: never asked, because early exit had already settled the outcome.
 */
export const VoteStatus = z.enum(['ok', 'timeout', 'error', 'skipped']);
export type VoteStatus = z.infer<typeof VoteStatus>;

/**
 * Where a vote's confidence came from:
 * - `logprobs`: the model's own token probabilities over the label set;
 * - `verbalized`: a number the model wrote in its answer ("confidence: 0.8");
 * - `selfConsistency`: the share of the member's sampled answers agreeing with their majority label
 *   (a model's `selfConsistency` setting);
 * - `none`: the backend exposes neither; the vote counts, its confidence does not.
 */
export const ConfidenceSource = z.enum(['logprobs', 'verbalized', 'selfConsistency', 'none']);
export type ConfidenceSource = z.infer<typeof ConfidenceSource>;

export const StrategyName = z.enum([
  /** Plurality of the votes; ties go to the earliest-listed member's answer. Every member is asked. */
  'majority',
  /** Sum of members' (calibrated) probability distributions, each times its weight (config prior and feedback). */
  'weighted',
  /**
   * Speculative early exit over majority: the first `agreeK` members are asked at once, then, only
   * while the rest could still change the outcome, the fewest members that could settle it, at once.
   */
  'earlyExit',
  /** Weighted, with per-category member weights fitted on labelled recordings (`ensemble fit`). */
  'learned',
  /**
   * Router reading the input (`ensemble fit`): each member's chance of being right on this text is
   * predicted; the top member is asked, and when the router is unsure (score under the threshold)
   * the next ones too, weighted by their scores.
   */
  'routed',
  /** Learned combination of every member's vote (a conditional logit over who voted for what; `ensemble fit`). */
  'stacking',
]);
export type StrategyName = z.infer<typeof StrategyName>;

export const ErrorInfo = z.object({ code: z.number().int(), kind: z.string(), message: z.string() });
export type ErrorInfo = z.infer<typeof ErrorInfo>;

/** A probability per label; labels absent from the map have probability 0. */
export const LabelProbabilities = z.record(z.string(), z.number().min(0).max(1));
export type LabelProbabilities = z.infer<typeof LabelProbabilities>;

export const Vote = z.object({
  /** Member id inside the ensemble (`model` or `model#style`). */
  member: z.string(),
  /** Model id from the pool config. */
  model: z.string(),
  promptStyle: PromptStyle,
  status: VoteStatus,
  /** The label this member chose; null when it abstained, timed out, failed or was skipped. */
  label: z.string().nullable(),
  /** Confidence in `label` after calibration, in [0, 1]; null when there is none. */
  confidence: z.number().min(0).max(1).nullable(),
  /** Confidence as the model gave it, before calibration. */
  rawConfidence: z.number().min(0).max(1).nullable(),
  confidenceSource: ConfidenceSource,
  /** The member's distribution over the labels (empty when the backend gives none). */
  probabilities: LabelProbabilities,
  /** The weight the strategy gave this member. */
  weight: z.number().min(0),
  latencyMs: z.number().min(0),
  /** The model's raw answer text, when it wrote one (kept short). */
  text: z.string().optional(),
  error: ErrorInfo.optional(),
});
export type Vote = z.infer<typeof Vote>;

/** What the router predicted for one input, and whom it asked. */
export const RouteInfo = z.object({
  /** Per member: predicted probability that it answers this input right. */
  scores: z.record(z.string(), z.number().min(0).max(1)),
  /** Members in the router's order, best first. */
  ranked: z.array(z.string()),
  /** Members the router asked, in asking order. */
  chosen: z.array(z.string()),
  /** Under this score for the first answer, more members were asked. */
  threshold: z.number().min(0).max(1),
});
export type RouteInfo = z.infer<typeof RouteInfo>;

export const Decision = z.object({
  /** Stable id, used for feedback and to open this decision in the inspector. */
  id: z.string(),
  ensemble: z.string(),
  strategy: StrategyName,
  labels: z.array(z.string()),
  /** The chosen label; null when no member produced a usable vote. */
  label: z.string().nullable(),
  /** The strategy's confidence in `label`, in [0, 1]. */
  confidence: z.number().min(0).max(1),
  /** Share of voting (status `ok`, label not null) members that chose `label`. */
  agreement: z.number().min(0).max(1),
  /** Votes in member order, including timeouts, errors and skipped members. */
  votes: z.array(Vote),
  /** True when some member timed out or failed, so the decision rests on part of the ensemble. */
  partial: z.boolean(),
  /** True when early exit skipped at least one member. */
  earlyExit: z.boolean(),
  /** Human-readable summary of how the decision was reached (partial, early exit, tie...). */
  note: z.string(),
  elapsedMs: z.number().min(0),
  createdAt: z.string(),
  /** sha256 of the input text: what recordings and feedback key on, without storing the text twice. */
  inputHash: z.string(),
  /** Members asked (all at once or in rounds): the cost of the decision. Absent in older decisions. */
  calls: z.number().int().min(0).optional(),
  /** Batches asked one after another: latency is about this many times the slowest member of a batch. */
  rounds: z.number().int().min(0).optional(),
  /** The router's view (strategy `routed`): its predicted chance that each member is right on this input. */
  route: RouteInfo.optional(),
});
export type Decision = z.infer<typeof Decision>;

/** One step of sequential refinement: a member drafted or edited the text. */
export const RefineStep = z.object({
  member: z.string(),
  model: z.string(),
  role: z.enum(['draft', 'edit']),
  status: VoteStatus,
  text: z.string(),
  latencyMs: z.number().min(0),
  error: ErrorInfo.optional(),
});
export type RefineStep = z.infer<typeof RefineStep>;

export const RefineResult = z.object({
  id: z.string(),
  ensemble: z.string(),
  original: z.string(),
  /** The last successful step's text (the original when every step failed). */
  text: z.string(),
  steps: z.array(RefineStep),
  partial: z.boolean(),
  /** True when an editor returned the draft unchanged, which ended the chain before its last member. */
  converged: z.boolean().optional(),
  elapsedMs: z.number().min(0),
});
export type RefineResult = z.infer<typeof RefineResult>;

/** What the daemon keeps across restarts: decisions, votes, feedback, calibration. */
import { Decision } from '../../protocol/ensemble';
import type { RouterFit, StackingFit } from '../strategies/fit';

export interface DecisionMeta {
  itemId?: string;
  category?: string;
  /** `live` for requests, `record` for `ensemble record` runs over a dataset. */
  source: 'live' | 'record';
  dataset?: string;
  gold?: string;
  /** The input text (what the router is fitted on); kept to its first INPUT_TEXT_CHARS characters. */
  text?: string;
}

/** Input text kept per decision: the router reads no further (strategies/textFeatures.ts). */
export const INPUT_TEXT_CHARS = 4_000;

export interface FeedbackRow {
  decisionId: string;
  model: string;
  correct: boolean;
  at: number;
}

export interface Calibration {
  model: string;
  method: 'temperature' | 'platt';
  /** Temperature T, or Platt's a and b. */
  params: { temperature?: number; a?: number; b?: number };
  n: number;
  fittedAt: string;
}

export interface DecisionWithGold {
  decision: Decision;
  gold: string | null;
}

export interface LabelledVote {
  model: string;
  label: string;
  /** The distribution as recorded (after the calibration in force then). */
  probabilities: Record<string, number>;
  /** The confidence the model itself gave, before any calibration. */
  rawConfidence: number | null;
  gold: string;
}

/**
 * What `ensemble fit` stores for an ensemble: per-member reliabilities and, since the router and
 * stacking run live, their fitted models (optional: fits stored before them lack these fields;
 * daemon/learning/fitSchema.ts validates what is read back).
 */
export interface AggregationFit {
  ensemble: string;
  /** Member ids, in the order of the arrays below. */
  members: string[];
  /** Per member: smoothed P(correct | it answered). */
  global: number[];
  /** Per category, per member: the same, shrunk toward the global estimate. */
  byCategory: Record<string, number[]>;
  /** Labelled items the fit saw. */
  n: number;
  fittedAt: string;
  labelCount?: number;
  stacking?: StackingFit | null;
  router?: RouterFit | null;
}

export interface LabelledMemberVote {
  decisionId: string;
  category: string | null;
  gold: string;
  member: string;
  /** null for an abstention, a timeout or an error. */
  label: string | null;
  /** The decision's input text, when it was recorded (decisions before it was stored: null). */
  text: string | null;
}

export interface Store {
  recordDecision(decision: Decision, meta: DecisionMeta): void;
  getDecision(id: string): DecisionWithGold | null;
  recentDecisions(limit: number): Decision[];
  /** Sets the gold label of a decision and records per-model feedback rows. */
  recordFeedback(decisionId: string, gold: string, at: number): FeedbackRow[];
  /** Feedback in time order (oldest first), at most `perModel` most recent per model. */
  feedbackWindow(perModel: number): FeedbackRow[];
  /** Decisions that have a gold label (feedback or a labelled dataset), newest first. */
  decisionsWithGold(limit: number): DecisionWithGold[];
  /** Item ids already recorded for a dataset run (for resuming `ensemble record`). */
  recordedItems(dataset: string, ensemble: string): Set<string>;
  /** Answered votes of decisions with a gold label: what calibration is fitted on. */
  labelledVotes(limit: number): LabelledVote[];
  saveCalibration(c: Calibration): void;
  /** Every member vote of an ensemble's decisions that have a gold label. */
  labelledMemberVotes(ensemble: string): LabelledMemberVote[];
  saveAggregation(fit: AggregationFit): void;
  aggregations(): AggregationFit[];
  calibrations(): Calibration[];
  close(): void;
}

/** A stored decision read back, validated like anything else that crosses a boundary. */
export function parseDecision(json: string): Decision {
  return Decision.parse(JSON.parse(json));
}

/** The per-model feedback a right label yields: one row per member that answered. */
export function feedbackRows(decision: Decision, gold: string, at: number): FeedbackRow[] {
  return decision.votes
    .filter((v) => v.status === 'ok' && v.label !== null)
    .map((v) => ({ decisionId: decision.id, model: v.model, correct: v.label === gold, at }));
}

/** A decision's metadata as stored (absent fields as null), the same for every store. */
export function metaColumns(meta: DecisionMeta) {
  return {
    itemId: meta.itemId ?? null,
    category: meta.category ?? null,
    source: meta.source,
    dataset: meta.dataset ?? null,
    gold: meta.gold ?? null,
    text: meta.text?.slice(0, INPUT_TEXT_CHARS) ?? null,
  };
}

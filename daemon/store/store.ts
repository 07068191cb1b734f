/** What the daemon keeps across restarts: decisions, votes, feedback, calibration. */
import { z } from 'zod';
import { Decision } from '../../protocol/ensemble';
import { AnswerResult, ExtractionResult, GoldSpan } from '../../protocol/tasks';
import { GenerationResult } from '../../protocol/generation';
import type { RouterFit, StackingFit } from '../../common/strategyFit';
import { EnsembleError } from '../../protocol/errors';
import { nonFiniteNumber } from '../../common/finite';

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
  /** The decision it was given in (a model replaced since then is not fitted on it: daemon/learning/adaptation.ts). */
  decisionId: string;
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

/** Tasks beyond labels whose results are recorded (classifications are decisions). */
export type TaskKind = 'answer' | 'extract' | 'generate';

/**
 * An answer or an extraction as recorded, with its gold when known: the normalized right answer, or
 * the entities the text holds. An extraction keeps its input text, so `ensemble eval` can replay the
 * span vote at other quorums.
 */
export type TaskRecord =
  | { task: 'answer'; result: AnswerResult; gold: string | null }
  | { task: 'extract'; result: ExtractionResult; text: string; gold: GoldSpan[] | null }
  /** A generation (ensemble/generate) with its whole panel, so `ensemble eval` can score and replay it. */
  | { task: 'generate'; result: GenerationResult; gold: string | null };

/** Where a task result came from; (task, dataset, ensemble, itemId) is recorded once, like decisions. */
export interface TaskMeta {
  source: 'live' | 'record';
  dataset?: string;
  itemId?: string;
}

export type StoredTask = TaskRecord & { itemId: string | null; dataset: string | null; source: 'live' | 'record' };

export interface Store {
  /**
   * Records a decision and its votes at once (all or nothing). A dataset item (dataset, ensemble,
   * itemId) is recorded once: recording it again replaces the earlier decision, its votes and
   * feedback. Throws StoreFailed for a decision that would not read back (non-finite numbers...).
   */
  recordDecision(decision: Decision, meta: DecisionMeta): void;
  getDecision(id: string): DecisionWithGold | null;
  /** Live decisions, newest first; with `before` (a decision id), those older than it (a page cursor). */
  recentDecisions(limit: number, before?: string): Decision[];
  /** Sets the gold label of a decision and records per-model feedback rows. */
  recordFeedback(decisionId: string, gold: string, at: number): FeedbackRow[];
  /** Feedback in time order (oldest first), at most `perModel` most recent per model. */
  feedbackWindow(perModel: number): FeedbackRow[];
  /** Decisions that have a gold label (feedback or a labelled dataset), newest first. */
  decisionsWithGold(limit: number): DecisionWithGold[];
  /**
   * Item ids recorded for a dataset run with every vote in (for resuming `ensemble record`): an
   * item with a vote that timed out or failed is left out, so a resume asks again.
   */
  recordedItems(dataset: string, ensemble: string): Set<string>;
  /** Answered votes of decisions with a gold label: what calibration is fitted on. */
  labelledVotes(limit: number): LabelledVote[];
  saveCalibration(c: Calibration): void;
  /** Several models' calibrations at once: after a crash, either all of them are in force or none. */
  saveCalibrations(cs: readonly Calibration[]): void;
  /** Every member vote of an ensemble's decisions that have a gold label. */
  labelledMemberVotes(ensemble: string): LabelledMemberVote[];
  saveAggregation(fit: AggregationFit): void;
  aggregations(): AggregationFit[];
  calibrations(): Calibration[];
  /**
   * Records an answer or an extraction (all or nothing). A dataset item (task, dataset, ensemble,
   * itemId) is recorded once: recording it again replaces the earlier result.
   */
  recordTask(record: TaskRecord, meta: TaskMeta): void;
  /** Recorded results of one task (of one ensemble, when given), oldest first. */
  taskRecords(task: TaskKind, ensemble?: string): StoredTask[];
  /** Item ids of a dataset run of one task whose every member answered (what a resume skips). */
  recordedTaskItems(task: TaskKind, dataset: string, ensemble: string): Set<string>;
  /** Sets the gold of a recorded answer (feedback: the right answer, normalized); false when unknown. */
  setAnswerGold(resultId: string, gold: string): boolean;
  /** Runs several writes as one transaction (one commit); each write's own failure stays its own. */
  batch?(writes: () => void): void;
  close(): void;
}

/** A stored decision read back, validated like anything else that crosses a boundary. */
export function parseDecision(json: string): Decision {
  return Decision.parse(JSON.parse(json));
}

export interface StoreOptions {
  /** Told about a stored row that cannot be read back; the row is skipped, the listing goes on. */
  onUnreadable?: (what: string, error: unknown) => void;
}

/** Maps rows through `read`, skipping (and reporting) the ones that throw, so one bad row never breaks a listing. */
export function readRows<R, T>(rows: readonly R[], read: (r: R) => T, what: (r: R) => string, opts: StoreOptions): T[] {
  const out: T[] = [];
  for (const r of rows) {
    try {
      out.push(read(r));
    } catch (e) {
      opts.onUnreadable?.(what(r), e);
    }
  }
  return out;
}

/**
 * The guard at every store write: a decision goes in only if it would come back out. What can make
 * a decision unreadable is a number JSON cannot hold (NaN and Infinity are written as null): a
 * walk finds it at a fraction of a schema parse's cost, on the hot path of every decision.
 */
export function checkStorable(d: Decision): void {
  const bad = nonFiniteNumber(d);
  if (bad) throw new EnsembleError('StoreFailed', `decision ${String(d?.id).slice(0, 64)} not recorded: ${bad} is not a finite number`);
}

/** An item is recorded once all its votes are in: none timed out or failed. */
export const INCOMPLETE_STATUSES = ['timeout', 'error'] as const;

/** JSON of a probability map read back from the store (validated: it came from disk). */
export function parseProbabilities(json: string): Record<string, number> {
  return z.record(z.string(), z.number().min(0).max(1)).parse(JSON.parse(json));
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

/** A task result read back from the store, validated (it came from disk). */
export function parseTaskRecord(task: string, json: string, gold: string | null, text: string | null): TaskRecord {
  if (task === 'answer') return { task, result: AnswerResult.parse(JSON.parse(json)), gold };
  if (task === 'extract') {
    return {
      task,
      result: ExtractionResult.parse(JSON.parse(json)),
      text: text ?? '',
      gold: gold === null ? null : z.array(GoldSpan).parse(JSON.parse(gold)),
    };
  }
  if (task === 'generate') return { task, result: GenerationResult.parse(JSON.parse(json)), gold };
  throw new Error(`unknown task "${task}"`);
}

/** A task record's columns as stored, the same for every store. */
export function taskColumns(r: TaskRecord, meta: TaskMeta) {
  const bad = nonFiniteNumber(r.result, r.task);
  if (bad)
    throw new EnsembleError('StoreFailed', `${r.task} ${String(r.result.id).slice(0, 64)} not recorded: ${bad} is not a finite number`);
  return {
    id: r.result.id,
    task: r.task,
    createdAt: r.result.createdAt,
    ensemble: r.result.ensemble,
    source: meta.source,
    dataset: meta.dataset ?? null,
    itemId: meta.itemId ?? null,
    gold: r.gold === null ? null : r.task === 'extract' ? JSON.stringify(r.gold) : r.gold,
    text: r.task === 'extract' ? r.text : r.task === 'answer' ? r.result.question : r.result.prompt,
    json: JSON.stringify(r.result),
  };
}

/** A result is complete (a resume skips it) when no member timed out or failed. */
export function taskComplete(r: TaskRecord): boolean {
  const statuses = r.task === 'generate' ? r.result.panel.map((a) => a.status) : r.result.votes.map((v) => v.status);
  return !statuses.some((s) => (INCOMPLETE_STATUSES as readonly string[]).includes(s));
}

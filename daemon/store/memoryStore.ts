/**
 * The store in RAM, for when SQLite cannot be used (its native module does not load under this
 * runtime, or the database file is corrupt or locked): the daemon keeps serving, learns from
 * feedback until it stops, and loses everything then. Same semantics as SqliteStore, query for
 * query (the contract test in test/unit/store.test.ts runs against both), with bounded memory: at
 * most `maxDecisions` decisions, the oldest recorded dropped first together with their feedback.
 *
 * Decisions are kept as JSON and parsed through the zod schema on the way out, as SQLite does, so
 * callers get fresh objects they may mutate, with the same shape either store would give them.
 */
import type { Decision } from '../../protocol/ensemble';
import type {
  AggregationFit,
  Calibration,
  DecisionMeta,
  DecisionWithGold,
  FeedbackRow,
  LabelledMemberVote,
  LabelledVote,
  Store,
  StoreOptions,
} from './store';
import type { StoredTask, TaskKind, TaskMeta, TaskRecord } from './store';
import {
  checkStorable,
  feedbackRows,
  INCOMPLETE_STATUSES,
  metaColumns,
  parseDecision,
  parseTaskRecord,
  readRows,
  taskColumns,
  taskComplete,
} from './store';

type TaskColumns = ReturnType<typeof taskColumns> & { complete: boolean };

export const DEFAULT_MAX_DECISIONS = 50_000;

interface StoredDecision {
  id: string;
  /** Insertion order: breaks ties between equal `createdAt` as SQLite's rowid does. */
  seq: number;
  createdAt: string;
  ensemble: string;
  itemId: string | null;
  category: string | null;
  source: DecisionMeta['source'];
  dataset: string | null;
  gold: string | null;
  text: string | null;
  json: string;
}

/** The vote fields the labelled queries read, as SQLite's votes table holds them. */
interface StoredVote {
  member: string;
  model: string;
  status: string;
  label: string | null;
  rawConfidence: number | null;
  probabilities: Record<string, number>;
}

export class MemoryStore implements Store {
  readonly maxDecisions: number;
  /** By id, in insertion order (oldest first): what eviction walks. */
  private decisions = new Map<string, StoredDecision>();
  /** Feedback by its id, in id order (Map keeps insertion order, ids only grow). */
  private feedback = new Map<number, FeedbackRow>();
  /** Feedback ids per decision, to replace or drop a decision's feedback without a scan. */
  private feedbackOf = new Map<string, number[]>();
  private calibrationByModel = new Map<string, string>();
  private aggregationByEnsemble = new Map<string, string>();
  /** Answers and extractions by id, oldest recorded first; bounded by maxDecisions like decisions. */
  private tasks = new Map<string, TaskColumns>();
  private nextSeq = 1;
  private nextFeedbackId = 1;
  private closed = false;

  private readonly opts: StoreOptions;

  constructor(opts: { maxDecisions?: number } & StoreOptions = {}) {
    this.opts = opts;
    const max = opts.maxDecisions ?? DEFAULT_MAX_DECISIONS;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxDecisions: expected a positive integer, got ${max}`);
    this.maxDecisions = max;
  }

  recordDecision(d: Decision, meta: DecisionMeta): void {
    this.open();
    checkStorable(d);
    const json = JSON.stringify(d);
    const columns = metaColumns(meta);
    if (columns.dataset !== null && columns.itemId !== null) {
      // One decision per dataset item and ensemble, as SQLite's unique key keeps it.
      for (const [id, r] of this.decisions) {
        if (id !== d.id && r.dataset === columns.dataset && r.ensemble === d.ensemble && r.itemId === columns.itemId) {
          this.decisions.delete(id);
          this.dropFeedback(id);
        }
      }
    }
    // Like INSERT OR REPLACE: a decision recorded again under the same id becomes the newest row.
    this.decisions.delete(d.id);
    this.decisions.set(d.id, {
      id: d.id,
      seq: this.nextSeq++,
      createdAt: d.createdAt,
      ensemble: d.ensemble,
      ...columns,
      json,
    });
    while (this.decisions.size > this.maxDecisions) {
      const oldest = this.decisions.keys().next().value as string;
      this.decisions.delete(oldest);
      this.dropFeedback(oldest);
    }
  }

  getDecision(id: string): DecisionWithGold | null {
    this.open();
    const row = this.decisions.get(id);
    return row ? { decision: parseDecision(row.json), gold: row.gold } : null;
  }

  recentDecisions(limit: number, before?: string): Decision[] {
    this.open();
    let live = this.newestFirst((r) => r.source === 'live', Infinity);
    if (before !== undefined) {
      const at = live.findIndex((r) => r === this.decisions.get(before));
      live = at < 0 ? [] : live.slice(at + 1);
    }
    return readRows(
      live.slice(0, Math.max(0, limit)),
      (r) => parseDecision(r.json),
      (r) => `decision ${r.seq}`,
      this.opts,
    );
  }

  recordFeedback(decisionId: string, gold: string, at: number): FeedbackRow[] {
    const found = this.getDecision(decisionId);
    if (!found) return [];
    const rows = feedbackRows(found.decision, gold, at);
    this.decisions.get(decisionId)!.gold = gold;
    // A second feedback on the same decision replaces the first rather than counting twice.
    this.dropFeedback(decisionId);
    const ids: number[] = [];
    for (const r of rows) {
      const id = this.nextFeedbackId++;
      this.feedback.set(id, { ...r });
      ids.push(id);
    }
    if (ids.length > 0) this.feedbackOf.set(decisionId, ids);
    return rows;
  }

  feedbackWindow(perModel: number): FeedbackRow[] {
    this.open();
    const all = [...this.feedback.values()];
    const seen = new Map<string, number>();
    const keep: boolean[] = new Array<boolean>(all.length).fill(false);
    for (let i = all.length - 1; i >= 0; i--) {
      const model = all[i]!.model;
      const n = seen.get(model) ?? 0;
      if (n < perModel) keep[i] = true;
      seen.set(model, n + 1);
    }
    return all.filter((_, i) => keep[i]).map((r) => ({ ...r }));
  }

  decisionsWithGold(limit: number): DecisionWithGold[] {
    this.open();
    return readRows(
      this.newestFirst((r) => r.gold !== null, limit),
      (r) => ({ decision: parseDecision(r.json), gold: r.gold! }),
      (r) => `decision ${r.seq}`,
      this.opts,
    );
  }

  recordedItems(dataset: string, ensemble: string): Set<string> {
    this.open();
    const items = new Set<string>();
    for (const r of this.decisions.values()) {
      if (r.dataset !== dataset || r.ensemble !== ensemble || r.itemId === null) continue;
      const votes = storedVotes(r);
      if (votes.length > 0 && !votes.some((v) => (INCOMPLETE_STATUSES as readonly string[]).includes(v.status))) items.add(r.itemId);
    }
    return items;
  }

  labelledVotes(limit: number): LabelledVote[] {
    this.open();
    const out: LabelledVote[] = [];
    if (limit <= 0) return out;
    for (const r of this.newestFirst((x) => x.gold !== null, Infinity)) {
      for (const v of storedVotes(r)) {
        if (v.status !== 'ok' || v.label === null) continue;
        out.push({
          decisionId: r.id,
          model: v.model,
          label: v.label,
          probabilities: v.probabilities,
          rawConfidence: v.rawConfidence,
          gold: r.gold!,
        });
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  saveCalibrations(cs: readonly Calibration[]): void {
    for (const c of cs) this.saveCalibration(c);
  }

  saveCalibration(c: Calibration): void {
    this.open();
    // Like INSERT OR REPLACE: the replaced row becomes the last one listed.
    this.calibrationByModel.delete(c.model);
    this.calibrationByModel.set(
      c.model,
      JSON.stringify({ model: c.model, method: c.method, params: c.params, n: c.n, fittedAt: c.fittedAt }),
    );
  }

  calibrations(): Calibration[] {
    this.open();
    return [...this.calibrationByModel.values()].map((j) => JSON.parse(j) as Calibration);
  }

  labelledMemberVotes(ensemble: string): LabelledMemberVote[] {
    this.open();
    const out: LabelledMemberVote[] = [];
    for (const [id, r] of this.decisions) {
      if (r.ensemble !== ensemble || r.gold === null) continue;
      for (const v of storedVotes(r)) {
        if (v.status === 'skipped') continue;
        out.push({
          decisionId: id,
          category: r.category,
          gold: r.gold,
          member: v.member,
          label: v.status === 'ok' ? v.label : null,
          text: r.text,
        });
      }
    }
    return out;
  }

  saveAggregation(fit: AggregationFit): void {
    this.open();
    this.aggregationByEnsemble.delete(fit.ensemble);
    this.aggregationByEnsemble.set(fit.ensemble, JSON.stringify(fit));
  }

  aggregations(): AggregationFit[] {
    this.open();
    return [...this.aggregationByEnsemble.values()].map((j) => JSON.parse(j) as AggregationFit);
  }

  recordTask(r: TaskRecord, meta: TaskMeta): void {
    this.open();
    const c = taskColumns(r, meta);
    if (c.dataset !== null && c.itemId !== null) {
      for (const [id, t] of this.tasks) {
        if (id !== c.id && t.task === c.task && t.dataset === c.dataset && t.ensemble === c.ensemble && t.itemId === c.itemId)
          this.tasks.delete(id);
      }
    }
    this.tasks.delete(c.id);
    this.tasks.set(c.id, { ...c, complete: taskComplete(r) });
    while (this.tasks.size > this.maxDecisions) this.tasks.delete(this.tasks.keys().next().value as string);
  }

  taskRecords(task: TaskKind, ensemble?: string): StoredTask[] {
    this.open();
    const rows = [...this.tasks.values()].filter((t) => t.task === task && (ensemble === undefined || t.ensemble === ensemble));
    // Stable sort: insertion order breaks ties, as SQLite's rowid does.
    rows.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    return readRows(
      rows,
      (t) => ({ ...parseTaskRecord(t.task, t.json, t.gold, t.text), itemId: t.itemId, dataset: t.dataset, source: t.source }),
      (t) => `${t.task} ${t.id}`,
      this.opts,
    );
  }

  recordedTaskItems(task: TaskKind, dataset: string, ensemble: string): Set<string> {
    this.open();
    const items = new Set<string>();
    for (const t of this.tasks.values())
      if (t.task === task && t.dataset === dataset && t.ensemble === ensemble && t.itemId !== null && t.complete) items.add(t.itemId);
    return items;
  }

  setAnswerGold(resultId: string, gold: string): boolean {
    this.open();
    const t = this.tasks.get(resultId);
    if (!t || t.task !== 'answer') return false;
    t.gold = gold;
    return true;
  }

  close(): void {
    this.closed = true;
    this.tasks = new Map();
    this.decisions = new Map();
    this.feedback = new Map();
    this.feedbackOf = new Map();
    this.calibrationByModel = new Map();
    this.aggregationByEnsemble = new Map();
  }

  /** Rows matching `keep`, newest `createdAt` first (later-recorded first among equals), at most `limit`. */
  private newestFirst(keep: (r: StoredDecision) => boolean, limit: number): StoredDecision[] {
    if (limit <= 0) return [];
    const rows: StoredDecision[] = [];
    for (const r of this.decisions.values()) if (keep(r)) rows.push(r);
    // Binary comparison of the ISO strings, as SQLite orders TEXT.
    rows.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.seq - a.seq));
    return rows.length > limit ? rows.slice(0, limit) : rows;
  }

  private dropFeedback(decisionId: string): void {
    for (const id of this.feedbackOf.get(decisionId) ?? []) this.feedback.delete(id);
    this.feedbackOf.delete(decisionId);
  }

  private open(): void {
    if (this.closed) throw new Error('the store is closed');
  }
}

function storedVotes(r: StoredDecision): StoredVote[] {
  const d = JSON.parse(r.json) as { votes: StoredVote[] };
  return d.votes.map((v) => ({
    member: v.member,
    model: v.model,
    status: v.status,
    label: v.label,
    rawConfidence: v.rawConfidence,
    probabilities: v.probabilities,
  }));
}

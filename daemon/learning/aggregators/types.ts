/**
 * The vote table every aggregator works on: items x members, built once from recordings. Votes are
 * label strings; `null` is an abstention (the member was asked and named no label), `undefined`
 * means the member has no record for the item (it was never asked: it costs no call).
 */
import type { Recording } from '../recordings';

export interface Item {
  id: string;
  category: string | null;
  gold: string | null;
  /** Per member, in table order. */
  votes: Array<string | null | undefined>;
  /** Per member: confidence in its vote (calibrated when calibration ran), when recorded. */
  confidences: Array<number | undefined>;
  /** Per member: probability per label, when recorded. */
  probabilities: Array<Record<string, number> | undefined>;
}

export interface VoteTable {
  models: string[];
  items: Item[];
}

export interface Prediction {
  answer: string | null;
  /** Members asked for this item. */
  calls: number;
}

export interface Predictor {
  predict(item: Item): Prediction;
}

export interface FitContext {
  models: string[];
  /** Every item, gold included or not: label-free methods (Dawid-Skene) fit on these, never reading gold. */
  unlabeled: Item[];
}

export interface Aggregator {
  name: string;
  /** One line for tables and the report. */
  description: string;
  /** Fits on train items with gold. Fixed strategies ignore them. */
  learned: boolean;
  fit(train: Item[], ctx: FitContext): Predictor;
}

/** Builds the table. `models` fixes the member order (the tie-break order); default: first-seen order. */
export function buildTable(recordings: readonly Recording[], models?: readonly string[]): VoteTable {
  const order = models && models.length > 0 ? [...models] : [...new Set(recordings.map((r) => r.model))];
  const col = new Map(order.map((m, j) => [m, j]));
  const byId = new Map<string, Item>();
  for (const r of recordings) {
    const j = col.get(r.model);
    if (j === undefined) continue;
    let it = byId.get(r.item);
    if (!it) {
      it = {
        id: r.item,
        category: r.category ?? null,
        gold: r.gold ?? null,
        votes: new Array(order.length).fill(undefined),
        confidences: new Array(order.length).fill(undefined),
        probabilities: new Array(order.length).fill(undefined),
      };
      byId.set(r.item, it);
    }
    if (it.gold === null && r.gold !== undefined) it.gold = r.gold;
    if (it.category === null && r.category !== undefined) it.category = r.category;
    it.votes[j] = r.prediction;
    let conf = r.confidence;
    if (r.probabilities) {
      it.probabilities[j] = r.probabilities;
      if (conf === undefined && r.prediction !== null) conf = r.probabilities[r.prediction] ?? 0;
    }
    it.confidences[j] = conf;
  }
  return { models: order, items: [...byId.values()] };
}

/** Members asked for an item: those with a record (an abstention was asked too). */
export function callsOf(item: Item): number {
  let n = 0;
  for (const v of item.votes) if (v !== undefined) n++;
  return n;
}

/**
 * Weighted plurality: each member adds `weights[m]` (default 1) to its label. Ties go to the label
 * whose earliest supporter comes first in `order` (default table order). Null when nobody voted.
 */
export function plurality(votes: ReadonlyArray<string | null | undefined>, weights?: ReadonlyArray<number>, order?: ReadonlyArray<number>): string | null {
  const score = new Map<string, number>();
  const first = new Map<string, number>();
  const seq = order ?? votes.map((_, j) => j);
  seq.forEach((j, rank) => {
    const v = votes[j];
    if (v === null || v === undefined) return;
    score.set(v, (score.get(v) ?? 0) + (weights ? weights[j]! : 1));
    if (!first.has(v)) first.set(v, rank);
  });
  let best: string | null = null;
  let bestScore = -Infinity;
  let bestRank = Infinity;
  for (const [v, s] of score) {
    const r = first.get(v)!;
    if (s > bestScore + 1e-12 || (Math.abs(s - bestScore) <= 1e-12 && r < bestRank)) {
      best = v;
      bestScore = s;
      bestRank = r;
    }
  }
  return best;
}

/** Distinct labels voted for an item, in order of first vote (table order). */
export function candidates(item: Item): string[] {
  const out: string[] = [];
  for (const v of item.votes) if (v !== null && v !== undefined && !out.includes(v)) out.push(v);
  return out;
}

/** Number of classes assumed by symmetric-noise weights: distinct labels seen (gold and votes), at least 2. */
export function labelCount(items: readonly Item[]): number {
  const s = new Set<string>();
  for (const it of items) {
    if (it.gold !== null) s.add(it.gold);
    for (const v of it.votes) if (v !== null && v !== undefined) s.add(v);
  }
  return Math.max(2, s.size);
}

/**
 * Vote weight of a member with accuracy `p` (when it answers) among `k` classes under symmetric
 * noise: log((k-1) p / (1-p)), the weight that makes weighted voting the Bayes decision. Floored at a
 * small positive value so a member below chance never votes against itself.
 */
export function logOddsWeight(p: number, k: number): number {
  const q = Math.min(Math.max(p, 1e-6), 1 - 1e-6);
  return Math.max(1e-3, Math.log(((k - 1) * q) / (1 - q)));
}

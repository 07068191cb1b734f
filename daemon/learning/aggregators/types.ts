/**
 * The vote table every aggregator works on: items x members, built once from recordings. Votes are
 * label strings; `null` is an abstention (the member was asked and named no label), `undefined`
 * means the member has no record for the item (it was never asked: it costs no call).
 */
import type { Recording } from '../recordings';
import { plurality } from '../../strategies/stackingFeatures';
import { logOddsWeight } from '../../strategies/fit';
import { own } from '../../../common/ownProperty';

export { plurality, logOddsWeight };

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
  /** The input text, when recorded (the router reads it). */
  text?: string | null;
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
    if (!it.text && r.text !== undefined) it.text = r.text;
    it.votes[j] = r.prediction;
    let conf = r.confidence;
    if (r.probabilities) {
      it.probabilities[j] = r.probabilities;
      if (conf === undefined && r.prediction !== null) conf = own(r.probabilities, r.prediction) ?? 0;
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

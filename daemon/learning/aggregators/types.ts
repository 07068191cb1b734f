/**
 * What every aggregator works on: the vote table (strategies/voteTable.ts, the one builder), here
 * built from recordings, and the aggregator interface.
 */
import type { Recording } from '../recordings';
import { plurality } from '../../strategies/tally';
import { logOddsWeight } from '../../strategies/fit';
import { candidatesOf } from '../../strategies/stackingFeatures';
import { buildVoteTable, type Item, type VoteTable } from '../../strategies/voteTable';

export { plurality, logOddsWeight };
export type { Item, VoteTable };

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
  return buildVoteTable(
    order,
    recordings.map((r) => ({ ...r, member: r.model, label: r.prediction })),
  );
}

/** Members asked for an item: those with a record (an abstention was asked too). */
export function callsOf(item: Item): number {
  let n = 0;
  for (const v of item.votes) if (v !== undefined) n++;
  return n;
}

/** Distinct labels voted for an item, in order of first vote (table order). */
export function candidates(item: Item): string[] {
  return candidatesOf(item.votes);
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

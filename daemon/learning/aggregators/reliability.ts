/**
 * Per-member reliability estimated on train items with gold: P(correct | the member answered),
 * Laplace-smoothed, globally and per category with shrinkage toward the global estimate.
 */
import type { Item } from './types';

export interface Reliability {
  /** Per member: smoothed accuracy when it answers. */
  global: number[];
  /** Per category, per member: accuracy shrunk toward the member's global accuracy. */
  byCategory: Map<string, number[]>;
  /** Per member: answered train items (the evidence behind `global`). */
  answered: number[];
}

/**
 * `(correct + 1) / (answered + 2)` globally; per category
 * `(correct_c + s * global) / (answered_c + s)`, i.e. `s` pseudo-items at the global rate.
 */
export function estimateReliability(train: readonly Item[], nModels: number, shrinkage = 20): Reliability {
  const right = new Array(nModels).fill(0);
  const answered = new Array(nModels).fill(0);
  const cat = new Map<string, { right: number[]; answered: number[] }>();
  for (const it of train) {
    if (it.gold === null) continue;
    const key = it.category ?? '';
    let c = cat.get(key);
    if (!c) cat.set(key, (c = { right: new Array(nModels).fill(0), answered: new Array(nModels).fill(0) }));
    it.votes.forEach((v, m) => {
      if (v === null || v === undefined) return;
      answered[m]++;
      c!.answered[m]!++;
      if (v === it.gold) {
        right[m]++;
        c!.right[m]!++;
      }
    });
  }
  const global = right.map((r, m) => (r + 1) / (answered[m] + 2));
  const byCategory = new Map<string, number[]>();
  for (const [k, c] of cat) {
    byCategory.set(
      k,
      c.right.map((r, m) => (r + shrinkage * global[m]!) / (c.answered[m]! + shrinkage)),
    );
  }
  return { global, byCategory, answered };
}

/** The category estimate for an item, falling back to the global one for an unseen category. */
export function reliabilityFor(rel: Reliability, item: Item): number[] {
  return rel.byCategory.get(item.category ?? '') ?? rel.global;
}

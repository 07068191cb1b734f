/**
 * Early exit: ask members one at a time, most reliable first (per-category train reliability), and
 * stop as soon as the members not yet asked cannot change the outcome of the weighted vote (weights
 * as in `weightedCategory`; a vote with a calibrated confidence weighs by that confidence, bounded by
 * the member's largest weight on train), or, with `agree`, once that many members agree. Without
 * `agree` the answer is exactly the full weighted vote's (ties -> the label asked first); only the
 * calls per item go down.
 */
import { estimateReliability, reliabilityFor } from './reliability';
import { type Aggregator, type Item, type Predictor, labelCount, logOddsWeight } from './types';

export interface EarlyExitOptions {
  /** Stop once this many members agree (even if the rest could still overturn the vote). */
  agree?: number;
}

export function fitEarlyExit(train: readonly Item[], nModels: number, opts: EarlyExitOptions = {}): Predictor {
  const rel = estimateReliability(train, nModels);
  const k = labelCount(train);
  // Largest confidence-based weight seen on train, per member: the bound on what it can still add.
  const maxConfWeight = new Array<number>(nModels).fill(0);
  for (const it of train) {
    it.confidences.forEach((c, m) => {
      if (c !== undefined) maxConfWeight[m] = Math.max(maxConfWeight[m]!, logOddsWeight(c, k));
    });
  }
  return {
    predict: (item) => {
      const r = reliabilityFor(rel, item);
      const base = r.map((p) => logOddsWeight(p, k));
      const order = r.map((_, m) => m).filter((m) => item.votes[m] !== undefined);
      order.sort((a, b) => r[b]! - r[a]! || a - b);
      const bound = order.map((m) => Math.max(base[m]!, maxConfWeight[m]!));
      let remaining = bound.reduce((s, v) => s + v, 0);
      const score = new Map<string, number>();
      const count = new Map<string, number>();
      const rank = new Map<string, number>();
      let leader: string | null = null;
      let calls = 0;
      for (let i = 0; i < order.length; i++) {
        const m = order[i]!;
        calls++;
        remaining -= bound[i]!;
        const v = item.votes[m];
        if (v !== null && v !== undefined) {
          const c = item.confidences[m];
          score.set(v, (score.get(v) ?? 0) + (c === undefined ? base[m]! : logOddsWeight(c, k)));
          count.set(v, (count.get(v) ?? 0) + 1);
          if (!rank.has(v)) rank.set(v, i);
          leader = null;
          for (const [lab, s] of score) {
            if (leader === null) leader = lab;
            const ls = score.get(leader)!;
            if (s > ls + 1e-12 || (Math.abs(s - ls) <= 1e-12 && rank.get(lab)! < rank.get(leader)!)) leader = lab;
          }
          if (opts.agree !== undefined && count.get(v)! >= opts.agree) return { answer: v, calls };
        }
        if (leader === null) continue;
        const ls = score.get(leader)!;
        const lr = rank.get(leader)!;
        // A label not yet voted would be ranked after the leader, so it needs strictly more.
        let settled = ls + 1e-12 >= remaining;
        for (const [lab, s] of score) {
          if (!settled || lab === leader) continue;
          const margin = ls - s;
          settled = margin > remaining + 1e-12 || (Math.abs(margin - remaining) <= 1e-12 && lr < rank.get(lab)!);
        }
        if (settled) return { answer: leader, calls };
      }
      return { answer: leader, calls };
    },
  };
}

export const earlyExit: Aggregator = {
  name: 'earlyExit',
  description: 'ask the most reliable members first; stop once the rest cannot change the weighted vote',
  learned: true,
  fit: (train, ctx) => fitEarlyExit(train, ctx.models.length),
};

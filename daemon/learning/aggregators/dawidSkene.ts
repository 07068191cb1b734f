/**
 * Dawid-Skene, label-free: estimates each member's reliability from the agreement structure alone,
 * by EM, without reading any gold label. Answer letters are not classes across questions, so the
 * per-class confusion matrix collapses to the "one-coin" model: member m is right with probability
 * p_m and otherwise picks one of the k-1 wrong labels uniformly; the prior over labels is uniform.
 *
 *   E-step: P(label = c | votes) ∝ prod_{m voted c} p_m * prod_{m voted other} (1-p_m)/(k-1)
 *   M-step: p_m = sum_items P(label = vote_m) / answered_m   (with a Beta(2, 2) prior)
 *
 * Runs on every item (train and held-out, gold unseen); predicts by the posterior argmax, which is
 * the weighted vote with weights log((k-1) p_m / (1-p_m)).
 */
import { type Aggregator, type Item, callsOf, candidates, labelCount, logOddsWeight, plurality } from './types';

export interface DawidSkeneResult {
  /** Estimated accuracy of each member when it answers. */
  reliability: number[];
  iterations: number;
}

/** Posterior over an item's candidates; `rest` is the mass on each label nobody voted for. */
function posterior(item: Item, p: readonly number[], k: number): { cands: string[]; post: number[] } {
  const cands = candidates(item);
  const logs = cands.map((c) => {
    let s = 0;
    item.votes.forEach((v, m) => {
      if (v === null || v === undefined) return;
      s += v === c ? Math.log(p[m]!) : Math.log((1 - p[m]!) / (k - 1));
    });
    return s;
  });
  const nOthers = Math.max(0, k - cands.length);
  // A label nobody voted for: every voter was wrong.
  let rest = 0;
  item.votes.forEach((v, m) => {
    if (v !== null && v !== undefined) rest += Math.log((1 - p[m]!) / (k - 1));
  });
  const all = nOthers > 0 ? [...logs, rest + Math.log(nOthers)] : logs;
  const mx = Math.max(...all);
  const z = all.reduce((a, v) => a + Math.exp(v - mx), 0);
  return { cands, post: logs.map((v) => Math.exp(v - mx) / z) };
}

export function dawidSkene(items: readonly Item[], nModels: number, k: number, maxIter = 100, tol = 1e-6): DawidSkeneResult {
  // Initialise from agreement with the plurality answer.
  let p = new Array(nModels).fill(0).map((_, m) => {
    let agree = 0;
    let answered = 0;
    for (const it of items) {
      const v = it.votes[m];
      if (v === null || v === undefined) continue;
      answered++;
      if (v === plurality(it.votes)) agree++;
    }
    return Math.min(0.99, Math.max(1.01 / k, (agree + 1) / (answered + 2)));
  });
  let iter = 0;
  for (; iter < maxIter; iter++) {
    const right = new Array(nModels).fill(1);
    const answered = new Array(nModels).fill(2);
    for (const it of items) {
      const { cands, post } = posterior(it, p, k);
      it.votes.forEach((v, m) => {
        if (v === null || v === undefined) return;
        answered[m]++;
        right[m] += post[cands.indexOf(v)]!;
      });
    }
    const next = right.map((r, m) => Math.min(0.999, Math.max(1e-3, r / answered[m]!)));
    const delta = Math.max(...next.map((v, m) => Math.abs(v - p[m]!)));
    p = next;
    if (delta < tol) break;
  }
  return { reliability: p, iterations: iter + 1 };
}

export const dawidSkeneAggregator: Aggregator = {
  name: 'dawidSkene',
  description: 'one-coin Dawid-Skene EM on all items, gold unseen; weighted vote by estimated reliability',
  learned: true,
  fit: (_train, ctx) => {
    const k = labelCount(ctx.unlabeled.map((it) => ({ ...it, gold: null })));
    const ds = dawidSkene(ctx.unlabeled, ctx.models.length, k);
    const w = ds.reliability.map((p) => logOddsWeight(p, k));
    return {
      reliability: ds.reliability,
      predict: (item: Item) => ({ answer: plurality(item.votes, w), calls: callsOf(item) }),
    };
  },
};

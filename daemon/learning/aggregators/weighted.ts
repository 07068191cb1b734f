/**
 * Weighted voting. Each vote adds log((k-1) p / (1-p)) to its label, where p is the member's
 * reliability (train accuracy when it answers, Laplace-smoothed) and k the number of labels: the
 * Bayes decision when each member errs uniformly over the wrong labels.
 *   - `weighted`: one reliability per member; when a vote carries a (calibrated) confidence, that
 *     confidence is used as p for that vote instead.
 *   - `weightedCategory`: per-category reliability, shrunk toward the member's global reliability
 *     (20 pseudo-items), so small categories borrow strength from the global estimate.
 * Ties go to the earliest-listed member.
 */
import { estimateReliability, reliabilityFor } from './reliability';
import { type Aggregator, callsOf, labelCount, logOddsWeight, plurality } from './types';

export const weighted: Aggregator = {
  name: 'weighted',
  description: 'vote weighted by log-odds of each member\'s train accuracy (Laplace), or of its calibrated confidence',
  learned: true,
  fit: (train, ctx) => {
    const rel = estimateReliability(train, ctx.models.length);
    const k = labelCount(train);
    const base = rel.global.map((p) => logOddsWeight(p, k));
    return {
      predict: (item) => {
        const w = item.confidences.map((c, m) => (c === undefined ? base[m]! : logOddsWeight(c, k)));
        return { answer: plurality(item.votes, w), calls: callsOf(item) };
      },
    };
  },
};

export const weightedCategory: Aggregator = {
  name: 'weightedCategory',
  description: 'vote weighted by log-odds of per-category train accuracy, shrunk to the global one',
  learned: true,
  fit: (train, ctx) => {
    const rel = estimateReliability(train, ctx.models.length);
    const k = labelCount(train);
    return {
      predict: (item) => {
        const w = reliabilityFor(rel, item).map((p) => logOddsWeight(p, k));
        return { answer: plurality(item.votes, w), calls: callsOf(item) };
      },
    };
  },
};

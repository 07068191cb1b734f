/**
 * Fitting an ensemble's learned aggregation on its labelled recordings: each member's reliability
 * globally and per category (the estimator `ensemble eval` uses), turned at request time into
 * log-odds weights for the `learned` and `routed` strategies.
 */
import { estimateReliability } from '../learning/aggregators/reliability';
import { buildTable, logOddsWeight } from '../learning/aggregators/types';
import type { AggregationFit, LabelledMemberVote } from '../store/store';

export function fitAggregation(ensemble: string, members: readonly string[], votes: readonly LabelledMemberVote[]): AggregationFit {
  // The same vote table `ensemble eval` builds, one item per recorded decision.
  const { items } = buildTable(
    votes.map((v) => ({ item: v.decisionId, model: v.member, prediction: v.label, gold: v.gold, ...(v.category !== null ? { category: v.category } : {}) })),
    members,
  );
  const rel = estimateReliability(items, members.length);
  return {
    ensemble,
    members: [...members],
    global: rel.global,
    byCategory: Object.fromEntries(rel.byCategory),
    n: items.length,
    fittedAt: new Date().toISOString(),
  };
}

/** Each member's weight for a request of `category` over `labelCount` labels (unknown category: global). */
export function learnedWeights(fit: AggregationFit, category: string | undefined, labelCount: number): Map<string, number> {
  const reliabilities = (category !== undefined ? fit.byCategory[category] : undefined) ?? fit.global;
  return new Map(fit.members.map((m, i) => [m, logOddsWeight(reliabilities[i] ?? 0.5, Math.max(2, labelCount))]));
}

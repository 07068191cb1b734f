/**
 * Fitting an ensemble's learned aggregation on its labelled recordings: each member's reliability
 * globally and per category (the estimator `ensemble eval` uses), turned at request time into
 * log-odds weights for the `learned` and `routed` strategies.
 */
import { estimateReliability } from '../learning/aggregators/reliability';
import { logOddsWeight, type Item } from '../learning/aggregators/types';
import type { AggregationFit, LabelledMemberVote } from '../store/store';

export function fitAggregation(ensemble: string, members: readonly string[], votes: readonly LabelledMemberVote[]): AggregationFit {
  const col = new Map(members.map((m, i) => [m, i]));
  const items = new Map<string, Item>();
  for (const v of votes) {
    const j = col.get(v.member);
    if (j === undefined) continue;
    let it = items.get(v.decisionId);
    if (!it) {
      it = { id: v.decisionId, category: v.category, gold: v.gold, votes: new Array(members.length).fill(undefined), confidences: [], probabilities: [] };
      items.set(v.decisionId, it);
    }
    it.votes[j] = v.label;
  }
  const rel = estimateReliability([...items.values()], members.length);
  return {
    ensemble,
    members: [...members],
    global: rel.global,
    byCategory: Object.fromEntries(rel.byCategory),
    n: items.size,
    fittedAt: new Date().toISOString(),
  };
}

/** Each member's weight for a request of `category` over `labelCount` labels (unknown category: global). */
export function learnedWeights(fit: AggregationFit, category: string | undefined, labelCount: number): Map<string, number> {
  const reliabilities = (category !== undefined ? fit.byCategory[category] : undefined) ?? fit.global;
  return new Map(fit.members.map((m, i) => [m, logOddsWeight(reliabilities[i] ?? 0.5, Math.max(2, labelCount))]));
}

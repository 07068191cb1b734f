/**
 * Fitting an ensemble's learned strategies on its labelled recordings: the same `fitStrategies`
 * `ensemble eval` fits and replays (reliabilities, router over the input text, stacking), stored
 * as the ensemble's AggregationFit and run live by the engine.
 */
import { fitStrategies } from './fitStrategies';
import type { Item } from './aggregators/types';
import type { AggregationFit, LabelledMemberVote } from '../store/store';

/** One item per recorded decision, members in the ensemble's order. */
export function itemsOf(members: readonly string[], votes: readonly LabelledMemberVote[]): Item[] {
  const col = new Map(members.map((m, j) => [m, j]));
  const byDecision = new Map<string, Item>();
  for (const v of votes) {
    const j = col.get(v.member);
    if (j === undefined) continue;
    let it = byDecision.get(v.decisionId);
    if (!it) {
      it = {
        id: v.decisionId,
        category: v.category,
        gold: v.gold,
        votes: new Array(members.length).fill(undefined),
        confidences: new Array(members.length).fill(undefined),
        probabilities: new Array(members.length).fill(undefined),
        text: v.text,
      };
      byDecision.set(v.decisionId, it);
    }
    it.votes[j] = v.label;
  }
  // Sorted by id: the fit does not depend on the order the store returned rows in.
  return [...byDecision.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function fitAggregation(
  ensemble: string,
  members: readonly string[],
  labels: readonly string[],
  votes: readonly LabelledMemberVote[],
): AggregationFit {
  const items = itemsOf(members, votes);
  const fit = fitStrategies(items, members, labels);
  return {
    ensemble,
    members: [...members],
    global: fit.global,
    byCategory: fit.byCategory,
    n: items.length,
    fittedAt: new Date().toISOString(),
    labelCount: fit.labelCount,
    stacking: fit.stacking,
    router: fit.router,
  };
}

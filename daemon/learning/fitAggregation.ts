/**
 * Fitting an ensemble's learned strategies on its labelled recordings: the same `fitStrategies`
 * `ensemble eval` fits and replays (reliabilities, router over the input text, stacking), stored
 * as the ensemble's AggregationFit and run live by the engine.
 */
import { fitStrategies } from './fitStrategies';
import { buildVoteTable, type Item } from '../strategies/voteTable';
import type { AggregationFit, LabelledMemberVote } from '../store/store';

/** One item per recorded decision, members in the ensemble's order. */
export function itemsOf(members: readonly string[], votes: readonly LabelledMemberVote[]): Item[] {
  const table = buildVoteTable(
    members,
    votes.map((v) => ({ ...v, item: v.decisionId })),
  );
  // Sorted by id: the fit does not depend on the order the store returned rows in.
  return table.items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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

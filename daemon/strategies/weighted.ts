/**
 * Weighted vote: each member adds weight × its distribution over the labels, the heaviest label wins.
 */
import { normalizeDistribution } from '../../common/distribution';
import { agreementOf, describeOutcome, isVoting, normalizeSupport, pickWinner } from './tally';
import type { Outcome, StrategyVote } from './types';
import { own } from '../../common/ownProperty';

/**
 * A voter's distribution over the label set:
 * - its probabilities restricted to the labels and renormalized, when they put mass on any label
 *   (renormalized so that every member's total mass is exactly its weight);
 * - otherwise a one-hot on its label scaled by its confidence (1 when it has none): a member
 *   without probabilities still counts, but a hesitant one counts less. The (1 - confidence) is
 *   not spread over other labels: the member said nothing about them.
 */
export function memberDistribution(vote: StrategyVote, labels: readonly string[]): Record<string, number> {
  const restricted: Record<string, number> = {};
  for (const l of labels) {
    const p = own(vote.probabilities, l);
    if (p !== undefined && Number.isFinite(p) && p > 0) restricted[l] = p;
  }
  const dist = normalizeDistribution(restricted);
  if (Object.keys(dist).length > 0) return dist;
  if (vote.label === null) return {};
  const c = vote.confidence === null ? 1 : Math.min(1, Math.max(0, vote.confidence));
  return { [vote.label]: c };
}

export interface WeightedMass {
  /** Raw (not normalized) mass per label, every label present. */
  mass: Record<string, number>;
  /** Members that count: voting and weight > 0, in member order. */
  voters: StrategyVote[];
  /** Voting members ignored because their weight is 0 (e.g. recalibrated down to nothing). */
  weightZero: number;
}

export function weightedMass(votes: readonly StrategyVote[], labels: readonly string[]): WeightedMass {
  const mass: Record<string, number> = {};
  for (const l of labels) mass[l] = 0;
  const voters: StrategyVote[] = [];
  let weightZero = 0;
  for (const v of votes) {
    if (!isVoting(v, labels)) continue;
    if (!(v.weight > 0) || !Number.isFinite(v.weight)) {
      weightZero++;
      continue;
    }
    voters.push(v);
    for (const [l, p] of Object.entries(memberDistribution(v, labels))) mass[l] = (own(mass, l) ?? 0) + v.weight * p;
  }
  return { mass, voters, weightZero };
}

/**
 * - winner: argmax of the summed mass; ties go to the label of the earliest-listed voter among
 *   the tied labels (the earlier label in the set if no voter chose any of them);
 * - confidence: the winner's share of the total mass (its normalized support);
 * - agreement and `voters`: over members that count here (voting, weight > 0);
 * - nobody counts, or they put no mass anywhere (confidence 0 without probabilities): label null,
 *   confidence 0.
 */
export function weighted(votes: readonly StrategyVote[], labels: readonly string[]): Outcome {
  const { mass, voters, weightZero } = weightedMass(votes, labels);
  const support = normalizeSupport(mass, labels);
  const { label, tie, tieBreak } = pickWinner(support, labels, voters);
  const noMass = voters.length > 0 && label === null;
  return {
    label,
    confidence: label === null ? 0 : Math.min(1, own(support, label) ?? 0),
    agreement: agreementOf(voters, label),
    support,
    tie,
    voters: voters.length,
    note: describeOutcome({
      votes,
      labels,
      voters,
      label,
      tieBreak,
      ignoredWeightZero: weightZero,
      ...(noMass ? { head: 'no usable vote: voters put no mass on any label' } : {}),
    }),
  };
}

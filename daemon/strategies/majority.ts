/**
 * Plurality vote. Weights are ignored (that is what `weighted` is for); abstentions, timeouts,
 * errors and skipped members do not vote.
 */
import { agreementOf, countByLabel, describeOutcome, normalizeSupport, pickWinner, votingMembers } from './tally';
import type { Outcome, StrategyVote } from './types';

/**
 * - winner: the label with the most votes; a tie goes to the label of the earliest-listed member
 *   among those who voted for a tied label;
 * - confidence: the share of voters that chose the winner (equal to `agreement`): members' own
 *   confidences are not comparable across backends, so majority does not mix them in;
 * - support: vote share per label;
 * - nobody voted: label null, confidence 0.
 */
export function majority(votes: readonly StrategyVote[], labels: readonly string[]): Outcome {
  const voters = votingMembers(votes, labels);
  const counts = countByLabel(voters, labels);
  const support = normalizeSupport(counts, labels);
  const { label, tie, tieBreak } = pickWinner(counts, labels, voters);
  const agreement = agreementOf(voters, label);
  return {
    label,
    confidence: agreement,
    agreement,
    support,
    tie,
    voters: voters.length,
    note: describeOutcome({ votes, labels, voters, label, tieBreak }),
  };
}

/**
 * Early exit for sequential asking: members are asked one after another, in member order, and
 * asking stops once the outcome is settled. Members not asked are recorded as `skipped`.
 */
import { majority } from './majority';
import { TIE_TOLERANCE, countByLabel, firstVoterIndex, votingMembers } from './tally';
import type { EarlyExitSettingsLike, Outcome, StrategyVote } from './types';
import { weighted, weightedMass } from './weighted';
import { own } from '../../common/ownProperty';

export type EarlyExitBase = 'majority' | 'weighted';
export type EarlyExitReason = 'unanimousK' | 'cannotChange';

export interface RemainingMember {
  member: string;
  weight: number;
}

export interface Settlement {
  settled: boolean;
  reason: EarlyExitReason | null;
}

/**
 * Whether asking can stop.
 * - `cannotChange`: whatever the remaining members answer (any label, or nothing), the leader
 *   stays. Remaining members are listed after every member asked so far, so a tie they create
 *   goes to the current leader only when the leader's first voter is earlier than the
 *   challenger's; a tie with a label voted earlier than the leader is lost.
 *   Majority: each remaining member can add 1 to a challenger. Weighted: each can add up to its
 *   weight (any amount in between, through its confidence), so a tie is always reachable.
 *   With nobody left, nothing can change: settled.
 * - `unanimousK`: the first `agreeK` voting members chose the same label, each with confidence
 *   >= threshold (a null confidence passes only when threshold is 0).
 * When both hold, `cannotChange` is reported: it is a guarantee, `unanimousK` a heuristic.
 * "Voting" follows the base strategy (weighted ignores weight-0 members).
 */
export function settle(
  votesSoFar: readonly StrategyVote[],
  remaining: readonly RemainingMember[],
  labels: readonly string[],
  settings: EarlyExitSettingsLike,
  base: EarlyExitBase,
): Settlement {
  const changeable =
    base === 'weighted' ? weightedCanChange(votesSoFar, remaining, labels) : majorityCanChange(votesSoFar, remaining, labels);
  if (!changeable) return { settled: true, reason: 'cannotChange' };
  const voters = base === 'weighted' ? weightedMass(votesSoFar, labels).voters : votingMembers(votesSoFar, labels);
  if (firstKAgree(voters, settings)) return { settled: true, reason: 'unanimousK' };
  return { settled: false, reason: null };
}

function firstKAgree(voters: readonly StrategyVote[], { agreeK, threshold }: EarlyExitSettingsLike): boolean {
  const k = Math.max(1, Math.floor(agreeK));
  if (voters.length < k) return false;
  const first = voters.slice(0, k);
  const label = first[0]?.label;
  return first.every((v) => v.label === label && (v.confidence === null ? threshold <= 0 : v.confidence >= threshold));
}

/** The leader keeps a tie against `challenger` only if its first voter came earlier (Infinity: none). */
function leaderWinsTie(first: Map<string, number>, leader: string, challenger: string): boolean {
  return (first.get(leader) ?? Infinity) < (first.get(challenger) ?? Infinity);
}

function majorityCanChange(votes: readonly StrategyVote[], remaining: readonly RemainingMember[], labels: readonly string[]): boolean {
  const r = remaining.length;
  const leader = majority(votes, labels).label;
  if (leader === null) return r > 0;
  const voters = votingMembers(votes, labels);
  const counts = countByLabel(voters, labels);
  const first = firstVoterIndex(voters);
  const lead = own(counts, leader) ?? 0;
  return labels.some((l) => {
    if (l === leader) return false;
    // Splitting the remaining votes between challengers only weakens each: check all-in on one.
    const reach = (own(counts, l) ?? 0) + r;
    return reach > lead || (reach === lead && !leaderWinsTie(first, leader, l));
  });
}

function weightedCanChange(votes: readonly StrategyVote[], remaining: readonly RemainingMember[], labels: readonly string[]): boolean {
  const rest = remaining.reduce((a, m) => a + (m.weight > 0 && Number.isFinite(m.weight) ? m.weight : 0), 0);
  const leader = weighted(votes, labels).label;
  if (leader === null) return rest > 0;
  if (rest === 0) return false;
  const { mass, voters } = weightedMass(votes, labels);
  const first = firstVoterIndex(voters);
  const lead = own(mass, leader) ?? 0;
  const total = Object.values(mass).reduce((a, b) => a + b, 0) + rest;
  const tolerance = TIE_TOLERANCE * total;
  return labels.some((l) => {
    if (l === leader) return false;
    const reach = (own(mass, l) ?? 0) + rest;
    if (reach > lead + tolerance) return true;
    return reach >= lead - tolerance && !leaderWinsTie(first, leader, l);
  });
}

export interface EarlyExitOutcome extends Outcome {
  /** Members never asked, in member order. */
  skipped: string[];
  /** Why asking stopped, when settings were given and someone was skipped; null otherwise. */
  reason: EarlyExitReason | null;
}

const REASON_NOTE: Record<EarlyExitReason, string> = {
  unanimousK: 'early exit: the first members agreed confidently',
  cannotChange: 'early exit: the rest could not change the outcome',
};

/**
 * The outcome of an early-exit run: the base strategy over the votes that arrived (skipped
 * members, like timeouts, do not vote), with the skipped members listed. With `settings`, the
 * reason is recomputed from the arrived votes, treating the skipped members as the remaining ones.
 */
export function earlyExitOutcome(
  votes: readonly StrategyVote[],
  labels: readonly string[],
  settings?: EarlyExitSettingsLike,
  base: EarlyExitBase = 'majority',
): EarlyExitOutcome {
  const outcome = base === 'weighted' ? weighted(votes, labels) : majority(votes, labels);
  const skippedVotes = votes.filter((v) => v.status === 'skipped');
  const arrived = votes.filter((v) => v.status !== 'skipped');
  const reason =
    settings && skippedVotes.length > 0
      ? settle(
          arrived,
          skippedVotes.map((v) => ({ member: v.member, weight: v.weight })),
          labels,
          settings,
          base,
        ).reason
      : null;
  return {
    ...outcome,
    note: reason ? `${outcome.note}; ${REASON_NOTE[reason]}` : outcome.note,
    skipped: skippedVotes.map((v) => v.member),
    reason,
  };
}

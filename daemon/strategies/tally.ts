/**
 * Counting shared by the strategies: who voted, votes per label, the tie rule, and the note.
 *
 * A member votes when its status is `ok` and its label is one of the label set. A label outside
 * the set counts as an abstention: the decision must be one of the labels the caller asked for.
 */
import { argmaxLabel, normalizeDistribution } from '../../common/distribution';
import type { StrategyVote } from './types';
import type { MemberVotes } from './voteTable';
import { own } from '../../common/ownProperty';

/**
 * Relative tolerance under which two scores are a tie. Weighted masses are float sums, and
 * 0.1 + 0.2 must tie with 0.3, or the tie rule would depend on summation order.
 */
export const TIE_TOLERANCE = 1e-9;

export function isVoting(vote: StrategyVote, labels: readonly string[]): boolean {
  return vote.status === 'ok' && vote.label !== null && labels.includes(vote.label);
}

/** Voting members, still in member order (the tie rule depends on it). */
export function votingMembers(votes: readonly StrategyVote[], labels: readonly string[]): StrategyVote[] {
  return votes.filter((v) => isVoting(v, labels));
}

/** Votes per label; every label of the set is present, 0 when nobody chose it. */
export function countByLabel(voters: readonly StrategyVote[], labels: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of labels) counts[l] = 0;
  for (const v of voters) if (v.label !== null && Object.hasOwn(counts, v.label)) counts[v.label] = (own(counts, v.label) ?? 0) + 1;
  return counts;
}

/** Position (among `voters`) of the first voter of each label; labels nobody chose are absent. */
export function firstVoterIndex(voters: readonly StrategyVote[]): Map<string, number> {
  const first = new Map<string, number>();
  voters.forEach((v, i) => {
    if (v.label !== null && !first.has(v.label)) first.set(v.label, i);
  });
  return first;
}

/** Share of voters that chose `label`; 0 when nobody voted. */
export function agreementOf(voters: readonly StrategyVote[], label: string | null): number {
  if (voters.length === 0 || label === null) return 0;
  return voters.filter((v) => v.label === label).length / voters.length;
}

/** Every label of the set, scaled to sum 1; all 0 when there is no positive score. */
export function normalizeSupport(scores: Record<string, number>, labels: readonly string[]): Record<string, number> {
  const normalized = normalizeDistribution(scores);
  const support: Record<string, number> = {};
  for (const l of labels) support[l] = own(normalized, l) ?? 0;
  return support;
}

export type TieBreak = 'memberOrder' | 'labelOrder' | null;

/**
 * The label with the highest score. Equally scored labels go to the label of the earliest-listed
 * voter among them (so the member list, which the user orders, decides, not the label list).
 * When no voter chose any tied label (weighted: mass from distributions alone), the earlier
 * label in the set wins.
 */
export function pickWinner(
  scores: Record<string, number>,
  labels: readonly string[],
  voters: readonly Pick<StrategyVote, 'label'>[],
): { label: string | null; tie: boolean; tieBreak: TieBreak } {
  let max = 0;
  for (const l of labels) max = Math.max(max, own(scores, l) ?? 0);
  if (!(max > 0)) return { label: null, tie: false, tieBreak: null };
  const tolerance = TIE_TOLERANCE * max;
  const tied = labels.filter((l) => (own(scores, l) ?? 0) >= max - tolerance);
  if (tied.length === 1) return { label: tied[0] ?? null, tie: false, tieBreak: null };
  const byMember = voters.find((v) => v.label !== null && tied.includes(v.label));
  if (byMember?.label) return { label: byMember.label, tie: true, tieBreak: 'memberOrder' };
  const flat: Record<string, number> = {};
  for (const l of tied) flat[l] = 1;
  return { label: argmaxLabel(flat, labels), tie: true, tieBreak: 'labelOrder' };
}

/**
 * The plurality over one row of the vote table, with pickWinner's tie rule: each member adds
 * `weights[m]` (default 1) to its label; equally scored labels go to the label whose earliest
 * supporter, in `order` (default: member order), comes first. Null when nobody voted.
 */
export function plurality(votes: MemberVotes, weights?: readonly number[], order?: readonly number[]): string | null {
  const scores: Record<string, number> = {};
  const labels: string[] = [];
  const voters: { label: string }[] = [];
  for (const j of order ?? votes.keys()) {
    const label = votes[j];
    if (label === null || label === undefined) continue;
    if (!Object.hasOwn(scores, label)) labels.push(label);
    scores[label] = (own(scores, label) ?? 0) + (weights ? weights[j]! : 1);
    voters.push({ label });
  }
  return pickWinner(scores, labels, voters).label;
}

/**
 * "2 of 3 agree; tie broken by member order; 1 abstained; 1 timed out".
 * `ignoredWeightZero` counts members whose vote was valid but carried weight 0 (weighted only).
 */
export function describeOutcome(args: {
  votes: readonly StrategyVote[];
  labels: readonly string[];
  voters: readonly StrategyVote[];
  label: string | null;
  tieBreak: TieBreak;
  ignoredWeightZero?: number;
  head?: string;
}): string {
  const { votes, labels, voters, label, tieBreak } = args;
  const parts: string[] = [];
  if (args.head) parts.push(args.head);
  else if (label === null) parts.push('no usable vote');
  else {
    const agreeing = voters.filter((v) => v.label === label).length;
    parts.push(`${agreeing} of ${voters.length} ${agreeing === 1 ? 'agrees' : 'agree'}`);
  }
  if (tieBreak === 'memberOrder') parts.push('tie broken by member order');
  if (tieBreak === 'labelOrder') parts.push('tie broken by label order');
  const weightZero = args.ignoredWeightZero ?? 0;
  const abstained = votes.filter((v) => v.status === 'ok' && !isVoting(v, labels)).length;
  const count = (s: StrategyVote['status']) => votes.filter((v) => v.status === s).length;
  const tail: [number, string][] = [
    [abstained, 'abstained'],
    [weightZero, 'at weight 0'],
    [count('timeout'), 'timed out'],
    [count('error'), 'failed'],
    [count('skipped'), 'skipped'],
  ];
  for (const [n, what] of tail) if (n > 0) parts.push(`${n} ${what}`);
  return parts.join('; ');
}

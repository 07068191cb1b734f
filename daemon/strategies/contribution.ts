/**
 * What each model contributed to recorded decisions whose right answer (gold) is known.
 */
import type { VoteStatus } from '../../protocol/ensemble';
import { majority } from './majority';
import type { StrategyVote } from './types';
import { own } from '../../common/ownProperty';

export interface RecordedVote {
  model: string;
  label: string | null;
  status: VoteStatus;
}

export interface RecordedDecision {
  votes: RecordedVote[];
  decided: string | null;
  gold: string | null;
}

export interface Contribution {
  /** Votes after whose removal majority would have picked another label (or none). */
  decisive: number;
  /** Votes for the gold label when the decision was something else. */
  overruledRight: number;
  /** Votes for the gold label when the decision was the gold label. */
  agreedRight: number;
  /** Votes cast (status ok, label not null). */
  votes: number;
}

/**
 * Only decisions with a gold label count, so all four numbers are over the same decisions.
 * Counts are per vote: a model asked twice (two prompt styles) can count twice in a decision.
 * "Decisive" compares majority with and without the vote, not with `decided`: a decision made
 * by another strategy would otherwise make every member look decisive whenever majority
 * disagrees with it. The right/overruled counts do use `decided`, the decision users saw.
 */
export function contributions(decisions: readonly RecordedDecision[]): Record<string, Contribution> {
  const out: Record<string, Contribution> = {};
  for (const d of decisions) {
    if (d.gold === null) continue;
    const labels = labelsOf(d);
    const votes: StrategyVote[] = d.votes.map((v, i) => ({
      member: `${v.model}@${i}`,
      label: v.label,
      probabilities: {},
      confidence: null,
      weight: 1,
      status: v.status,
    }));
    const baseline = majority(votes, labels).label;
    d.votes.forEach((v, i) => {
      const c = own(out, v.model) ?? (out[v.model] = { decisive: 0, overruledRight: 0, agreedRight: 0, votes: 0 });
      if (v.status !== 'ok' || v.label === null) return;
      c.votes++;
      const without = majority(
        votes.filter((_, j) => j !== i),
        labels,
      ).label;
      if (without !== baseline) c.decisive++;
      if (v.label === d.gold) {
        if (d.decided === d.gold) c.agreedRight++;
        else c.overruledRight++;
      }
    });
  }
  return out;
}

/** Recorded votes do not carry the label set; any label seen is a label (order is irrelevant to majority). */
function labelsOf(d: RecordedDecision): string[] {
  const seen = new Set<string>();
  for (const v of d.votes) if (v.label !== null) seen.add(v.label);
  if (d.decided !== null) seen.add(d.decided);
  if (d.gold !== null) seen.add(d.gold);
  return [...seen];
}

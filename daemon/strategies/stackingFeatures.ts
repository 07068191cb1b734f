/**
 * Label-agnostic features of each candidate answer, for stacking (a conditional logit: the softmax
 * of w·x over the candidates). Options are not classes across inputs (an "A" on one question has
 * nothing to do with an "A" on another), so nothing here names a label: only who voted for it.
 *
 * Features of candidate c (M members; r = reliability for the input's category, g = global):
 *   - per member m: voted(m, c)                                   who supports c
 *   - per member m: voted(m, c) * (logit r[m] - logit g[m])       per-category expertise
 *   - per pair m < n (M <= 6): voted(m, c) * voted(n, c)         which coalitions are trustworthy
 *   - per member m: voted(m, c) * (members silent)                 abstentions change the picture
 *   - votes for c / M; c is the plurality answer; c is the category-weighted answer
 *   - with a router: per member voted(m, c) * (logit p̂[m] - logit g[m]), c is the router-weighted
 *     answer, and the router-weighted mass of c (p̂: the router's score for this input)
 *   - agreement patterns (M <= 6): one-hot of exactly which members voted c; votes for c times the
 *     number of candidates / M; two candidates only
 *   - with a fitted label list (at most MAX_LABEL_FEATURES labels): c is label L, and per member
 *     "m voted c and c is L" (a label prior, and each member's bias toward a label)
 *   - extras the fit names (appended last, so fits made before an extra existed keep their meaning):
 *     `routerChoice`: c is the answer of the member the router trusts most on this input, and c is
 *     the answer of the most trusted member among those who answered (the router's own pick)
 */
import type { StackingExtra } from '../../common/strategyFit';
import { logOddsWeight } from './fit';
import { plurality } from './tally';
import type { MemberVotes } from './voteTable';

export const PAIRS_UP_TO = 6;
export const MAX_LABEL_FEATURES = 12;

export { STACKING_EXTRAS, type StackingExtra } from '../../common/strategyFit';

function extraDim(extra: StackingExtra, withRouter: boolean): number {
  switch (extra) {
    case 'routerChoice':
      return withRouter ? 2 : 0;
  }
}

const logit = (p: number) => {
  const q = Math.min(1 - 1e-3, Math.max(1e-3, p));
  return Math.log(q / (1 - q));
};

export function stackingDim(
  nMembers: number,
  withRouter: boolean,
  labelSet: readonly string[] | null = null,
  extras: readonly StackingExtra[] = [],
): number {
  const small = nMembers <= PAIRS_UP_TO;
  const pairs = small ? (nMembers * (nMembers - 1)) / 2 : 0;
  const patterns = small ? 2 ** nMembers + 2 : 0;
  const labels = labelSet ? labelSet.length * (nMembers + 1) : 0;
  const more = extras.reduce((a, e) => a + extraDim(e, withRouter), 0);
  return 3 * nMembers + pairs + 3 + (withRouter ? nMembers + 2 : 0) + patterns + labels + more;
}

/** Distinct labels voted, in order of first vote (member order). */
export function candidatesOf(votes: MemberVotes): string[] {
  const out: string[] = [];
  for (const v of votes) if (v !== null && v !== undefined && !out.includes(v)) out.push(v);
  return out;
}

export interface StackingInput {
  votes: MemberVotes;
  /** Reliabilities for the input's category, and global ones, per member. */
  categoryReliability: readonly number[];
  globalReliability: readonly number[];
  labelCount: number;
  /** The router's scores for this input, per member, when the fit uses them. */
  routerScores: readonly number[] | null;
  /** The fitted label list, when the fit has label features. */
  labelSet?: readonly string[] | null;
  /** Extra feature groups the fit was trained with, in its order. */
  extras?: readonly StackingExtra[] | null;
}

/** The member the router trusts most (ties: listed first), optionally among those who answered; -1 if none. */
function mostTrusted(ph: readonly number[], votes: MemberVotes, answeredOnly: boolean): number {
  let top = -1;
  ph.forEach((p, m) => {
    if (answeredOnly && (votes[m] === null || votes[m] === undefined)) return;
    if (top < 0 || p > ph[top]!) top = m;
  });
  return top;
}

export function stackingFeatures(input: StackingInput, cands: readonly string[]): number[][] {
  const { votes, categoryReliability: rc, globalReliability: g, labelCount: k, routerScores: ph } = input;
  const M = votes.length;
  const silent = votes.filter((v) => v === null || v === undefined).length;
  const maj = plurality(votes);
  const byCategory = plurality(
    votes,
    rc.map((p) => logOddsWeight(p, k)),
  );
  const routerWeights = ph ? ph.map((p) => logOddsWeight(p, k)) : null;
  const byRouter = routerWeights ? plurality(votes, routerWeights) : null;
  const trusted = ph ? [mostTrusted(ph, votes, false), mostTrusted(ph, votes, true)] : null;
  return cands.map((c) => {
    const a: number[] = votes.map((v) => (v === c ? 1 : 0));
    const x: number[] = [];
    for (let m = 0; m < M; m++) x.push(a[m]!);
    for (let m = 0; m < M; m++) x.push(a[m]! * (logit(rc[m]!) - logit(g[m]!)));
    if (M <= PAIRS_UP_TO) for (let m = 0; m < M; m++) for (let n = m + 1; n < M; n++) x.push(a[m]! * a[n]!);
    for (let m = 0; m < M; m++) x.push(a[m]! * silent);
    x.push(a.reduce((s, v) => s + v, 0) / M, c === maj ? 1 : 0, c === byCategory ? 1 : 0);
    if (ph && routerWeights) {
      for (let m = 0; m < M; m++) x.push(a[m]! * (logit(ph[m]!) - logit(g[m]!)));
      let mass = 0;
      for (let m = 0; m < M; m++) mass += a[m]! * routerWeights[m]!;
      x.push(c === byRouter ? 1 : 0, mass);
    }
    if (M <= PAIRS_UP_TO) {
      let pattern = 0;
      for (let m = 0; m < M; m++) if (a[m]) pattern |= 1 << m;
      for (let p = 0; p < 2 ** M; p++) x.push(p === pattern ? 1 : 0);
      const count = a.reduce((s, v) => s + v, 0);
      x.push((count * cands.length) / M, cands.length === 2 ? 1 : 0);
    }
    const labelSet = input.labelSet;
    if (labelSet) {
      for (const l of labelSet) x.push(c === l ? 1 : 0);
      for (let m = 0; m < M; m++) for (const l of labelSet) x.push(a[m]! && c === l ? 1 : 0);
    }
    for (const extra of input.extras ?? []) {
      if (extra === 'routerChoice' && trusted) for (const m of trusted) x.push(m >= 0 ? a[m]! : 0);
    }
    return x;
  });
}

/** Softmax of w·x over the candidates: the probability stacking gives each. */
export function stackingProbabilities(weights: readonly number[], x: readonly number[][]): number[] {
  const s = x.map((f) => f.reduce((acc, v, d) => acc + (weights[d] ?? 0) * v, 0));
  const mx = Math.max(...s);
  const e = s.map((v) => Math.exp(v - mx));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

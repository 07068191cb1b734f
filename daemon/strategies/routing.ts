/**
 * The router's side of a decision: each member's predicted chance of being right on this input
 * (from the fitted per-member logistic regressions), and the rule that says whom to ask next.
 * Pure: features in, scores out; votes so far in, the next members out.
 */
import type { RouterFit, SparseWeights } from './fit';
import type { SparseVector } from './textFeatures';
import type { StrategyVote } from './types';

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

function sparseDot(w: SparseWeights, x: SparseVector): number {
  // Both index lists are ascending: a merge walk.
  let s = 0;
  let i = 0;
  let j = 0;
  while (i < w.index.length && j < x.index.length) {
    const a = w.index[i]!;
    const b = x.index[j]!;
    if (a === b) s += w.value[i++]! * x.value[j++]!;
    else if (a < b) i++;
    else j++;
  }
  return s;
}

/** P(member m is right | input), per member in the fit's order. */
export function routerScores(router: RouterFit, x: SparseVector): number[] {
  return router.weights.map((w) => sigmoid(sparseDot(w, x)));
}

export interface RouteRule {
  threshold: number;
  fallback: number;
}

/**
 * Whom to ask next, members taken in the router's order (`ranked`, best first):
 * - nobody asked yet: the top member;
 * - every member asked so far gave no usable vote (abstained, failed, timed out): the next one;
 * - the first voter's predicted score is at least `threshold`: stop (the router is sure);
 * - otherwise, once: the next `fallback` members together; then stop.
 * `asked` are the votes so far in asking order; `scoreOf` the router's score of a member.
 */
export function nextRouted(
  asked: readonly StrategyVote[],
  ranked: readonly string[],
  scoreOf: (member: string) => number,
  labels: readonly string[],
  rule: RouteRule,
): string[] {
  const done = new Set(asked.map((v) => v.member));
  const rest = ranked.filter((m) => !done.has(m));
  if (rest.length === 0) return [];
  if (asked.length === 0) return [rest[0]!];
  const voters = asked.filter((v) => v.status === 'ok' && v.label !== null && labels.includes(v.label));
  if (voters.length === 0) return [rest[0]!];
  if (scoreOf(voters[0]!.member) >= rule.threshold) return [];
  // The fallback round happens once: after it, more than one member has been asked past the first voter.
  const firstVoterAt = asked.findIndex((v) => v.member === voters[0]!.member);
  if (asked.length - 1 > firstVoterAt) return [];
  return rest.slice(0, Math.max(0, Math.floor(rule.fallback)));
}

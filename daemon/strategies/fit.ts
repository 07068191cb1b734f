/**
 * What `ensemble fit` produces and the learned strategies consume: one fitted object per ensemble,
 * the same whether the daemon runs it live or `ensemble eval` replays it over recordings. Plain
 * data (JSON-able); the store's copy is validated with zod on the way in (learning/fitSchema.ts).
 */
import type { StackingExtra } from './stackingFeatures';

/** A sparse weight vector over hashed input features (see textFeatures.ts). */
export interface SparseWeights {
  index: number[];
  value: number[];
}

/** Per member, a logistic regression over the input's hashed features: P(member is right | input). */
export interface RouterFit {
  /** Feature hashing size: 2^bits buckets. */
  bits: number;
  /** In the order of `StrategyFit.members`. */
  weights: SparseWeights[];
  /** Below this predicted chance of being right, the first member's answer is checked by more members. */
  threshold: number;
  /** How many more members are asked when the router is unsure. */
  fallback: number;
}

/** Conditional logit over label-agnostic features of each candidate answer (stackingFeatures.ts). */
export interface StackingFit {
  lambda: number;
  weights: number[];
  /** Whether the features include the router's per-member scores (then `router` must be present). */
  usesRouter: boolean;
  /** Labels with their own features (label prior, members' label biases); absent: none. */
  labels?: string[];
  /** Per category: weights refitted on that category's items, shrunk toward `weights`. */
  byCategory?: Record<string, number[]>;
  /** Extra feature groups the weights were trained with (stackingFeatures.ts); absent: none. */
  extras?: StackingExtra[];
}

export interface StrategyFit {
  /** Member ids, in the order of every per-member array below. */
  members: string[];
  /** Distinct labels seen when fitting (at least 2): the k of the log-odds weights. */
  labelCount: number;
  /** Per member: smoothed P(correct | it answered). */
  global: number[];
  /** Per category, per member: the same, shrunk toward the global estimate. */
  byCategory: Record<string, number[]>;
  stacking: StackingFit | null;
  router: RouterFit | null;
}

/** Reliabilities for a category (unknown or absent category: global). */
export function reliabilitiesFor(fit: Pick<StrategyFit, 'global' | 'byCategory'>, category: string | null | undefined): number[] {
  return (category !== null && category !== undefined ? fit.byCategory[category] : undefined) ?? fit.global;
}

/**
 * Vote weight of a member with accuracy `p` among `k` classes under symmetric noise:
 * log((k-1) p / (1-p)), the weight that makes weighted voting the Bayes decision. Floored at a
 * small positive value so a member below chance never votes against itself.
 */
export function logOddsWeight(p: number, k: number): number {
  const q = Math.min(Math.max(p, 1e-6), 1 - 1e-6);
  return Math.max(1e-3, Math.log(((Math.max(2, k) - 1) * q) / (1 - q)));
}

/**
 * The shape of a fitted aggregation: what `ensemble fit` produces, the learned strategies consume and
 * the store keeps. Plain data (JSON-able), declared here rather than in daemon/strategies/ because the
 * store, which knows no strategy, stores it (learning/fitSchema.ts validates it on the way back in).
 */

/** Feature groups added after the first stacking features; a fit lists those it was trained with. */
export const STACKING_EXTRAS = ['routerChoice'] as const;
export type StackingExtra = (typeof STACKING_EXTRAS)[number];

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

/**
 * What the learned strategies compute from a fit: one fitted object per ensemble, the same whether
 * the daemon runs it live or `ensemble eval` replays it over recordings. Its shape is declared in
 * common/strategyFit.ts, because the store keeps it and imports no strategy.
 */
export type { RouterFit, SparseWeights, StackingFit, StrategyFit } from '../../common/strategyFit';
import type { StrategyFit } from '../../common/strategyFit';

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

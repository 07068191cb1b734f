/** Vote builders for the strategy tables (not a test file itself). */
import type { StrategyVote } from '../../../daemon/strategies/types';

type Extra = Partial<Omit<StrategyVote, 'member' | 'label'>>;

/** A member that answered `label` (null: abstained). */
export function ok(member: string, label: string | null, extra: Extra = {}): StrategyVote {
  return { member, label, probabilities: {}, confidence: null, weight: 1, status: 'ok', ...extra };
}

export function timeout(member: string, weight = 1): StrategyVote {
  return { member, label: null, probabilities: {}, confidence: null, weight, status: 'timeout' };
}

export function failed(member: string, weight = 1): StrategyVote {
  return { member, label: null, probabilities: {}, confidence: null, weight, status: 'error' };
}

export function skipped(member: string, weight = 1): StrategyVote {
  return { member, label: null, probabilities: {}, confidence: null, weight, status: 'skipped' };
}

/** Floats compared to 1e-9, so tables can write 2/3 instead of 0.6666666666666666. */
export function near(actual: number, expected: number, what = 'value'): void {
  if (!(Math.abs(actual - expected) <= 1e-9)) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

export function nearRecord(actual: Record<string, number>, expected: Record<string, number>, what = 'record'): void {
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  for (const k of keys) near(actual[k] ?? NaN, expected[k] ?? NaN, `${what}[${k}]`);
}

/**
 * Label distributions, shared by the backends (which produce them) and the strategies (which
 * combine them): pure arithmetic, no I/O.
 */
import { own } from './ownProperty';

/** Scales non-negative scores to sum 1 (an empty map when they sum to 0). */
export function normalizeDistribution(scores: Record<string, number>): Record<string, number> {
  const total = Object.values(scores).reduce((a, b) => a + (b > 0 ? b : 0), 0);
  if (!(total > 0)) return {};
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(scores)) out[k] = v > 0 ? v / total : 0;
  return out;
}

/** Softmax of log-probabilities, stable for very negative values. */
export function softmaxLogprobs(logprobs: Record<string, number>): Record<string, number> {
  const values = Object.values(logprobs);
  if (values.length === 0) return {};
  const max = Math.max(...values);
  const exp: Record<string, number> = {};
  for (const [k, v] of Object.entries(logprobs)) exp[k] = Math.exp(v - max);
  return normalizeDistribution(exp);
}

/** The arg-max label of a distribution; ties go to the earlier label in `labels`. */
export function argmaxLabel(probabilities: Record<string, number>, labels: readonly string[]): string | null {
  let best: string | null = null;
  let bestP = -1;
  for (const l of labels) {
    const p = own(probabilities, l) ?? 0;
    if (p > bestP) {
      best = l;
      bestP = p;
    }
  }
  return bestP > 0 ? best : null;
}

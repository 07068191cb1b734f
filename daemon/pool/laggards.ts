/**
 * Laggards: a member that is consistently slower than the others drags every parallel vote to its
 * latency. Everything here is pure (no clock, no I/O), so it is table-tested:
 * - the latencies are the pool's one window per member (latency.ts), the same that status shows;
 * - `detectLaggards`: a model whose p90 exceeds the median of the other models' p90 by `factor`
 *   is flagged, with the sentence the status bar and the inspector show;
 * - `laggardWeight` / `orderForLaggards`: what the optional policy does (lower its weight, or ask
 *   it last in sequential strategies such as early exit);
 * - `adaptiveTimeoutMs`: a per-member timeout that follows observed latency (p99 x factor, within bounds).
 */
import { DEFAULT_LATENCY_WINDOW, percentile } from './latency';

export { percentile };

export type LaggardPolicy = 'flag' | 'lowerWeight' | 'moveLast';

export interface LaggardSettings {
  /** p90 must exceed the others' (median of their p90) by this factor. */
  factor: number;
  policy: LaggardPolicy;
  /** Latencies kept per model (the size of the pool's latency window, latency.ts). */
  window: number;
  /** Fewest latencies before a model is judged (or used as a reference). */
  minSamples: number;
  /** Weight multiplier under `lowerWeight`. */
  weightFactor: number;
}

export const DEFAULT_LAGGARD_SETTINGS: LaggardSettings = {
  factor: 2,
  policy: 'flag',
  window: DEFAULT_LATENCY_WINDOW,
  minSamples: 10,
  weightFactor: 0.5,
};

export const LAGGARD_ADVICE = 'consistently slow: replace it, give it a shorter timeout or lower its weight';

export interface LaggardFlag {
  p90Ms: number;
  othersP90Ms: number;
  policy: LaggardPolicy;
  message: string;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function detectLaggards(
  windows: ReadonlyMap<string, readonly number[]>,
  settings: Partial<LaggardSettings> = {},
): Map<string, LaggardFlag> {
  const s = { ...DEFAULT_LAGGARD_SETTINGS, ...settings };
  const p90 = new Map<string, number>();
  for (const [model, samples] of windows) {
    if (samples.length < s.minSamples) continue;
    const v = percentile(samples, 90);
    if (v !== null) p90.set(model, v);
  }
  const flags = new Map<string, LaggardFlag>();
  for (const [model, mine] of p90) {
    const others = median([...p90].filter(([m]) => m !== model).map(([, v]) => v));
    if (others === null) continue; // nobody to compare with
    // max(others, 1): a pool of sub-millisecond members must not flag a 2 ms one.
    if (mine > s.factor * Math.max(others, 1)) {
      const ratio = mine / Math.max(others, 1);
      flags.set(model, {
        p90Ms: mine,
        othersP90Ms: others,
        policy: s.policy,
        message: `${model} is ${LAGGARD_ADVICE} (p90 ${Math.round(mine)} ms, ${ratio.toFixed(1)}x the others' ${Math.round(others)} ms)`,
      });
    }
  }
  return flags;
}

/** Weight multiplier the policy gives a model: `weightFactor` for a flagged model under `lowerWeight`, else 1. */
export function laggardWeight(model: string, flags: ReadonlyMap<string, LaggardFlag>, settings: Partial<LaggardSettings> = {}): number {
  const s = { ...DEFAULT_LAGGARD_SETTINGS, ...settings };
  return s.policy === 'lowerWeight' && flags.has(model) ? Math.min(1, Math.max(0, s.weightFactor)) : 1;
}

/** Under `moveLast`, flagged members go after the others (stable otherwise); any other policy keeps the order. */
export function orderForLaggards<T extends { model: string }>(
  members: readonly T[],
  flags: ReadonlyMap<string, LaggardFlag>,
  policy: LaggardPolicy,
): T[] {
  if (policy !== 'moveLast') return [...members];
  return [...members.filter((m) => !flags.has(m.model)), ...members.filter((m) => flags.has(m.model))];
}

/**
 * A timeout that follows observed latency: p99 of the samples times `factor`, within
 * [minMs, maxMs] (maxMs is the configured timeout: adapting only ever shortens it). Too few
 * samples: maxMs.
 */
export function adaptiveTimeoutMs(
  samples: readonly number[],
  opts: { factor?: number; minMs?: number; maxMs: number; minSamples?: number },
): number {
  const { factor = 3, minMs = 1000, maxMs, minSamples = DEFAULT_LAGGARD_SETTINGS.minSamples } = opts;
  if (samples.length < minSamples) return maxMs;
  const p99 = percentile(samples, 99);
  if (p99 === null) return maxMs;
  return Math.round(Math.min(maxMs, Math.max(Math.min(minMs, maxMs), p99 * factor)));
}

/**
 * The policy applied to an ensemble's members before its plan is built (by pool/laggardWatch.ts
 * for each request): under `lowerWeight` a flagged member's prior weight is multiplied by `weightFactor`
 * (the feedback weight scales with the prior, so its vote weight drops by that factor in the
 * weighted strategies); under `moveLast` flagged members are listed, so asked, last. Under `flag`,
 * or with no laggard, the members are returned as they were.
 */
export function applyLaggardPolicy<M extends { model: string; priorWeight: number }>(
  members: readonly M[],
  flags: ReadonlyMap<string, LaggardFlag>,
  settings: Partial<LaggardSettings> = {},
): M[] {
  const s = { ...DEFAULT_LAGGARD_SETTINGS, ...settings };
  if (flags.size === 0 || s.policy === 'flag') return [...members];
  const weighted = members.map((m) =>
    flags.has(m.model) && s.policy === 'lowerWeight' ? { ...m, priorWeight: m.priorWeight * laggardWeight(m.model, flags, s) } : m,
  );
  return orderForLaggards(weighted, flags, s.policy);
}

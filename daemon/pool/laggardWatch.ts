/**
 * The pool's view of its laggards and its adaptive member timeouts, both read from the pool's one
 * latency window per model and configured by `daemon.laggards` (so the member timeout is worked out
 * where the latencies are, with no round trip through the caller).
 */
import type { PoolConfig } from '../../protocol/config';
import { adaptiveTimeoutMs, applyLaggardPolicy, detectLaggards, type LaggardFlag } from './laggards';

type LaggardConfig = PoolConfig['daemon']['laggards'];

/** How stale the laggard flags a request sees may be (status always works them out afresh). */
const LAGGARD_REFRESH_MS = 100;

export class LaggardWatch {
  private settings: LaggardConfig;
  private cache: { at: number; flags: Map<string, LaggardFlag> } | null = null;

  constructor(
    private readonly latencies: () => Map<string, readonly number[]>,
    private readonly samplesOf: (model: string) => readonly number[],
  ) {}

  /** A new config: its settings, and flags worked out afresh on the next request. */
  configure(settings: LaggardConfig): void {
    this.settings = settings;
    this.cache = null;
  }

  /** The laggards as they stand now (status). */
  flags(): Map<string, LaggardFlag> {
    const flags = detectLaggards(this.latencies(), this.settings);
    this.cache = { at: performance.now(), flags };
    return flags;
  }

  /**
   * The laggards as requests see them: a p90 over each member's last calls moves slowly, so it is
   * worked out at most every LAGGARD_REFRESH_MS (sorting every window on every request cost about
   * 2 % of the daemon's time at 1,000 decisions/s), and at once after a config change.
   */
  private recent(): Map<string, LaggardFlag> {
    const c = this.cache;
    if (c && performance.now() - c.at < LAGGARD_REFRESH_MS) return c.flags;
    return this.flags();
  }

  /** The laggard policy (lower a slow member's weight, or ask it last) over an ensemble's members, before its plan is built. */
  applyPolicy<M extends { model: string; priorWeight: number }>(members: readonly M[]): M[] {
    return applyLaggardPolicy(members, this.recent(), this.settings);
  }

  /** The member timeout that follows observed latency (`daemon.laggards.adaptiveTimeout`), or the configured one. */
  adaptTimeout(model: string, configuredMs: number): number {
    const adaptive = this.settings?.adaptiveTimeout;
    if (!this.settings || !adaptive) return configuredMs;
    return adaptiveTimeoutMs(this.samplesOf(model), {
      factor: adaptive.factor,
      minMs: adaptive.minMs,
      maxMs: configuredMs,
      minSamples: this.settings.minSamples,
    });
  }
}

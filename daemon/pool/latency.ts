/**
 * One sliding window of latencies per member (a ring buffer: bounded memory), kept by the pool for
 * every call it runs on the member: answered calls, and calls cut off by a timeout (a timeout is
 * slowness too; failures and cancellations are not latencies). The one window serves everything
 * that reads latency: status percentiles (p50/p95/p99), busy retry hints, the laggard detector's
 * p90 (laggards.ts) and adaptive member timeouts (p99). Its size is `daemon.laggards.window`.
 */
export interface LatencySummary {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
}

/** Latencies kept per member unless `daemon.laggards.window` says otherwise. */
export const DEFAULT_LATENCY_WINDOW = 50;

/** Nearest-rank percentile (p in (0, 100]) of `values`; null when empty. Broken figures (NaN, negative) are ignored. */
export function percentile(values: readonly number[], p: number): number | null {
  const finite = values.filter((v) => Number.isFinite(v) && v >= 0);
  if (finite.length === 0) return null;
  const sorted = [...finite].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export class LatencyWindow {
  /** Oldest first. */
  private values: number[] = [];

  constructor(private size = DEFAULT_LATENCY_WINDOW) {
    this.size = clampSize(size);
  }

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return; // a hostile or broken figure is not a latency
    this.values.push(ms);
    if (this.values.length > this.size) this.values.splice(0, this.values.length - this.size);
  }

  /** A new window size (config reload): the newest samples are kept. */
  resize(size: number): void {
    this.size = clampSize(size);
    if (this.values.length > this.size) this.values.splice(0, this.values.length - this.size);
  }

  /** The samples in the window, oldest first. */
  samples(): readonly number[] {
    return this.values;
  }

  percentile(p: number): number | null {
    return percentile(this.values, p);
  }

  /** Nearest-rank p50/p95/p99; undefined before the first sample. */
  summary(): LatencySummary | undefined {
    if (this.values.length === 0) return undefined;
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    return { samples: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}

function clampSize(size: number): number {
  return Number.isFinite(size) ? Math.max(1, Math.min(10_000, Math.floor(size))) : DEFAULT_LATENCY_WINDOW;
}

/** Latency percentiles over a member's last `size` answers (a ring buffer: bounded memory). */
export interface LatencySummary {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
}

export class LatencyWindow {
  private readonly values: number[] = [];
  private next = 0;

  constructor(private readonly size = 200) {}

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.values.length < this.size) this.values.push(ms);
    else this.values[this.next] = ms;
    this.next = (this.next + 1) % this.size;
  }

  /** Nearest-rank percentiles; undefined before the first sample. */
  summary(): LatencySummary | undefined {
    if (this.values.length === 0) return undefined;
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    return { samples: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}

/**
 * The daemon watches its own event loop: every client's reply waits on it, so a blocked loop is a
 * slow daemon whatever the models do. `monitorEventLoopDelay` samples how late a timer fires. The
 * guard rotates windows and reports the current window together with the previous one, so the
 * figures always cover at least one full window: the mean weighted by samples, the max of both, and
 * the larger of the two p99s (Node cannot merge its loop histogram, so this p99 errs high, never
 * low). A finished window whose p99 is high is logged.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { EventLoopDelay } from '../protocol/eventLoop';
import type { Logger } from './process/log';

/** The histogram fields the figures are read from (nanoseconds), as Node's histograms have them. */
export interface DelayHistogram {
  readonly count: number;
  readonly mean: number;
  readonly max: number;
  percentile(p: number): number;
}

/** Figures of two windows as one: the mean weighted by samples, the larger max and p99. */
export function combineFigures(a: Sampled, b: Sampled): Sampled {
  const count = a.count + b.count;
  if (count === 0) return { count: 0, figures: { ...b.figures, windowMs: a.figures.windowMs + b.figures.windowMs } };
  const round = (ms: number) => Math.round(ms * 1e3) / 1e3;
  return {
    count,
    figures: {
      meanMs: round((a.figures.meanMs * a.count + b.figures.meanMs * b.count) / count),
      p99Ms: Math.max(a.figures.p99Ms, b.figures.p99Ms),
      maxMs: Math.max(a.figures.maxMs, b.figures.maxMs),
      windowMs: a.figures.windowMs + b.figures.windowMs,
    },
  };
}

export interface Sampled {
  count: number;
  figures: EventLoopDelay;
}

/**
 * Mean, p99 and max in milliseconds (rounded to µs); an empty histogram (NaN mean) reads as zeros.
 * Node's loop monitor records the whole interval between its timer's runs, the sampling resolution
 * included: `resolutionMs` is taken off, so an idle loop reads near 0 ms, not near the resolution.
 */
export function delayFigures(h: DelayHistogram, windowMs: number, resolutionMs = 0): EventLoopDelay {
  if (h.count === 0) return { meanMs: 0, p99Ms: 0, maxMs: 0, windowMs };
  const ms = (ns: number) => (Number.isFinite(ns) ? Math.max(0, Math.round(ns / 1e3 - resolutionMs * 1e3) / 1e3) : 0);
  return { meanMs: ms(h.mean), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max), windowMs };
}

export interface EventLoopGuardOptions {
  logger?: Logger;
  /**
   * Sampling resolution of the monitor (default 50 ms). Each sample is a timer wakeup: at 10 ms the
   * monitor alone cost 7.8 ms of CPU per second, busy or idle (battery on a laptop); at 50 ms, 1.4 ms.
   * A stall longer than the resolution is always seen, shorter ones in proportion to their length.
   */
  resolutionMs?: number;
  /** The window rotates this often; status covers the current and the previous one. */
  windowMs?: number;
  /** A finished window whose p99 passes this is logged as a warning. */
  warnP99Ms?: number;
  now?: () => number;
}

export class EventLoopGuard {
  private readonly monitor: IntervalHistogram;
  private previous: Sampled | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private windowStart: number;
  private readonly resolutionMs: number;

  constructor(private readonly opts: EventLoopGuardOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
    this.resolutionMs = opts.resolutionMs ?? 50;
    this.monitor = monitorEventLoopDelay({ resolution: this.resolutionMs });
    this.monitor.enable();
    this.windowStart = this.now();
    this.timer = setInterval(() => this.rotate(), opts.windowMs ?? 60_000);
    this.timer.unref(); // the guard never keeps the daemon alive
  }

  /** Ends the current window: it becomes the previous one, and is logged when its p99 was high. */
  rotate(): void {
    const finished = this.current();
    const warnAt = this.opts.warnP99Ms ?? 100;
    if (finished.figures.p99Ms > warnAt) {
      const f = finished.figures;
      this.opts.logger?.warn(
        `event loop delay over the last ${Math.round(f.windowMs / 1000)} s: p99 ${f.p99Ms} ms, max ${f.maxMs} ms ` +
          `(above ${warnAt} ms: replies to every client waited that long)`,
      );
    }
    this.previous = finished;
    this.windowStart = this.now();
    this.monitor.reset();
  }

  snapshot(): EventLoopDelay {
    const current = this.current();
    return (this.previous ? combineFigures(this.previous, current) : current).figures;
  }

  stop(): void {
    clearInterval(this.timer);
    this.monitor.disable();
  }

  private current(): Sampled {
    return { count: this.monitor.count, figures: delayFigures(this.monitor, Math.round(this.now() - this.windowStart), this.resolutionMs) };
  }
}

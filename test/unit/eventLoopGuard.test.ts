/** The event-loop guard's figures (daemon/eventLoopGuard.ts): units, empty windows, two windows as one, and a real monitor. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventLoopGuard, combineFigures, delayFigures, type DelayHistogram } from '../../daemon/eventLoopGuard';
import { EventLoopDelay } from '../../protocol/eventLoop';
import { loopDelayText } from '../../common/loopDelayText';
import { until } from '../support/until';

/** A histogram with given nanosecond figures, as Node's would report them. */
function histogram(count: number, meanNs: number, p99Ns: number, maxNs: number): DelayHistogram {
  return { count, mean: meanNs, max: maxNs, percentile: (p) => (p === 99 ? p99Ns : Number.NaN) };
}

describe('event-loop delay figures', () => {
  it('turns nanoseconds into milliseconds, rounded to the microsecond', () => {
    assert.deepEqual(delayFigures(histogram(10, 10_400_123, 21_000_999, 35_500_000), 60_000), {
      meanMs: 10.4,
      p99Ms: 21.001,
      maxMs: 35.5,
      windowMs: 60_000,
    });
  });

  it('takes the sampling resolution off (Node records whole intervals), never below zero', () => {
    assert.deepEqual(delayFigures(histogram(10, 10_300_000, 12_000_000, 30_000_000), 1_000, 10), {
      meanMs: 0.3,
      p99Ms: 2,
      maxMs: 20,
      windowMs: 1_000,
    });
    assert.equal(delayFigures(histogram(1, 9_000_000, 9_000_000, 9_000_000), 1, 10).maxMs, 0);
  });

  it('an empty window (Node reports a NaN mean) reads as zeros, never NaN', () => {
    const f = delayFigures(histogram(0, Number.NaN, 0, 0), 5);
    assert.deepEqual(f, { meanMs: 0, p99Ms: 0, maxMs: 0, windowMs: 5 });
    assert.ok(EventLoopDelay.safeParse(f).success);
  });

  it('two windows as one: the mean weighted by samples, the larger p99 and max, the windows added', () => {
    const a = { count: 300, figures: { meanMs: 10, p99Ms: 40, maxMs: 90, windowMs: 60_000 } };
    const b = { count: 100, figures: { meanMs: 30, p99Ms: 20, maxMs: 25, windowMs: 15_000 } };
    assert.deepEqual(combineFigures(a, b).figures, { meanMs: 15, p99Ms: 40, maxMs: 90, windowMs: 75_000 });
    const empty = { count: 0, figures: { meanMs: 0, p99Ms: 0, maxMs: 0, windowMs: 10 } };
    assert.deepEqual(combineFigures(empty, empty), { count: 0, figures: { meanMs: 0, p99Ms: 0, maxMs: 0, windowMs: 20 } });
  });

  it('words the figures for people, p99 and max first', () => {
    assert.equal(
      loopDelayText({ meanMs: 0.42, p99Ms: 12.6, maxMs: 3.04, windowMs: 75_400 }),
      'event loop delay p99 13 ms, max 3.0 ms, mean 0.4 ms (last 75 s)',
    );
  });
});

describe('EventLoopGuard on the real loop', () => {
  it('after the loop was blocked it reports consistent, schema-valid figures, kept across one rotation', async () => {
    let now = 0;
    const warnings: string[] = [];
    const logger = { warn: (m: string) => warnings.push(m) } as never;
    const guard = new EventLoopGuard({ resolutionMs: 1, windowMs: 3_600_000, warnP99Ms: 0, logger, now: () => now });
    try {
      // A stretch of synchronous work the monitor's timer has to wait behind, then its sample.
      let spin = 0;
      for (let i = 0; i < 2e7; i++) spin += i % 7;
      assert.ok(spin > 0);
      await until('a loop-delay sample', async () => (guard.snapshot().maxMs > 0 ? true : undefined), 10_000);
      now = 1_000;
      const first = guard.snapshot();
      assert.ok(EventLoopDelay.safeParse(first).success, JSON.stringify(first));
      assert.ok(first.meanMs <= first.maxMs && first.p99Ms <= first.maxMs, JSON.stringify(first));
      assert.equal(first.windowMs, 1_000);
      guard.rotate();
      assert.equal(warnings.length, 1, 'a window over the warning threshold is logged once');
      assert.match(warnings[0]!, /event loop delay over the last 1 s: p99 [\d.]+ ms/);
      now = 1_500;
      const after = guard.snapshot();
      assert.ok(after.maxMs >= first.maxMs, 'the previous window still counts after a rotation');
      assert.equal(after.windowMs, 1_500);
    } finally {
      guard.stop();
    }
  });
});

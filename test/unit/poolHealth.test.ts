/** The pool's pure health parts: circuit breaker transitions and latency percentiles. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from '../../daemon/pool/circuitBreaker';
import { LatencyWindow } from '../../daemon/pool/latency';

describe('circuit breaker', () => {
  const settings = { failureThreshold: 3, coolDownMs: 1_000, maxCoolDownMs: 3_000 };

  it('opens after the threshold of consecutive failures, not before; a success resets the count', () => {
    const b = new CircuitBreaker(settings);
    b.failure(0);
    b.failure(0);
    b.success();
    b.failure(0);
    b.failure(0);
    assert.equal(b.state(0), 'closed');
    b.failure(0);
    assert.equal(b.state(0), 'open');
    assert.equal(b.tryPass(10), false);
    assert.equal(b.retryInMs(10), 990);
  });

  it('half-open lets exactly one probe through; a failed probe doubles the cool-down up to the cap; success closes', () => {
    const b = new CircuitBreaker(settings);
    for (let i = 0; i < 3; i++) b.failure(0);
    assert.equal(b.state(1_000), 'halfOpen');
    assert.equal(b.tryPass(1_000), true);
    assert.equal(b.tryPass(1_000), false, 'only one probe at a time');
    b.failure(1_000);
    assert.equal(b.state(2_999), 'open');
    assert.equal(b.state(3_000), 'halfOpen', 'cool-down doubled to 2 s');
    b.failure(3_000);
    assert.equal(b.retryInMs(3_000), 3_000, 'capped at maxCoolDownMs');
    assert.equal(b.tryPass(6_000), true);
    b.success();
    assert.equal(b.state(6_000), 'closed');
    for (let i = 0; i < 3; i++) b.failure(7_000);
    assert.equal(b.retryInMs(7_000), 1_000, 'a success resets the cool-down');
  });

  it('a cancelled probe frees the half-open slot', () => {
    const b = new CircuitBreaker(settings);
    for (let i = 0; i < 3; i++) b.failure(0);
    assert.equal(b.tryPass(1_000), true);
    b.release();
    assert.equal(b.tryPass(1_000), true);
  });
});

describe('latency window', () => {
  it('nearest-rank percentiles over the last N samples only', () => {
    const w = new LatencyWindow(100);
    assert.equal(w.summary(), undefined);
    for (let i = 1; i <= 100; i++) w.record(i);
    assert.deepEqual(w.summary(), { samples: 100, p50: 50, p95: 95, p99: 99 });
    for (let i = 0; i < 100; i++) w.record(1_000);
    assert.deepEqual(w.summary(), { samples: 100, p50: 1_000, p95: 1_000, p99: 1_000 });
    w.record(Number.NaN);
    w.record(-1);
    assert.equal(w.summary()?.samples, 100, 'garbage is not recorded');
  });
});

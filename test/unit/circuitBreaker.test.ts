/** The pool's circuit breaker: its transitions, on a clock the test passes in. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from '../../daemon/pool/circuitBreaker';

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

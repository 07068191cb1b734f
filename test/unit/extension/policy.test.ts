/** The extension's daemon lifecycle policies (extension/daemon/policy.ts): pure, so tested without an editor. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, CrashPolicy } from '../../../extension/daemon/policy';

describe('backoffDelay', () => {
  it('starts at 250 ms and doubles up to the 30 s cap', () => {
    const delays = [0, 1, 2, 3, 4, 10, 1000].map((a) => backoffDelay(a, { random: () => 0 }));
    assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 30_000, 30_000]);
  });

  it('adds up to 20% jitter, never past the cap', () => {
    assert.equal(backoffDelay(2, { random: () => 1 }), 1200);
    assert.equal(backoffDelay(2, { random: () => 0.5 }), 1100);
    assert.equal(backoffDelay(20, { random: () => 1 }), 30_000);
  });

  it('honours its base and cap, and treats a negative attempt as the first', () => {
    assert.equal(backoffDelay(3, { baseMs: 100, maxMs: 500, random: () => 0 }), 500);
    assert.equal(backoffDelay(1, { baseMs: 100, maxMs: 500, random: () => 0 }), 200);
    assert.equal(backoffDelay(-5, { random: () => 0 }), 250);
  });
});

describe('CrashPolicy', () => {
  it('gives up on the Nth crash within the window', () => {
    const policy = new CrashPolicy(() => ({ maxCrashes: 3, windowMs: 60_000 }));
    assert.equal(policy.recordCrash(0), true);
    assert.equal(policy.recordCrash(1_000), true);
    assert.equal(policy.recordCrash(2_000), false, 'the third crash within a minute gives up');
    assert.equal(policy.count, 3);
    assert.equal(policy.describe(), '3 times in 1 minute');
  });

  it('forgets crashes that left the window', () => {
    const policy = new CrashPolicy(() => ({ maxCrashes: 3, windowMs: 60_000 }));
    assert.equal(policy.recordCrash(0), true);
    assert.equal(policy.recordCrash(30_000), true);
    assert.equal(policy.recordCrash(60_000), true, 'the crash at 0 is a full window old: two in the window');
    assert.equal(policy.count, 2);
    assert.equal(policy.recordCrash(70_000), false);
  });

  it('starts over after reset (the user asked to try again)', () => {
    const policy = new CrashPolicy(() => ({ maxCrashes: 2, windowMs: 60_000 }));
    policy.recordCrash(0);
    assert.equal(policy.recordCrash(1), false);
    policy.reset();
    assert.equal(policy.count, 0);
    assert.equal(policy.recordCrash(2), true);
  });

  it('reads its settings at each crash, so a changed setting applies at once', () => {
    let settings = { maxCrashes: 5, windowMs: 180_000 };
    const policy = new CrashPolicy(() => settings);
    assert.equal(policy.recordCrash(0), true);
    assert.equal(policy.describe(), '1 time in 3 minutes');
    settings = { maxCrashes: 2, windowMs: 180_000 };
    assert.equal(policy.recordCrash(1), false);
  });
});

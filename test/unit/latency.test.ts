/** The pool's latency window: percentiles over the last samples only. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencyWindow } from '../../daemon/pool/latency';

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

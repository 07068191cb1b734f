/**
 * The short soak inside `npm test` (20 s; `npm run soak` runs the long one): good and bad clients
 * and a flapping member against a real daemon. Stated bounds (SOAK_BOUNDS): from the end of the
 * warm-up (here the first half) to the end, RSS grows by less than 80 MiB and open descriptors by fewer than 16; peak RSS under 400 MiB;
 * good clients get answers throughout (errors they see are the flapping member's, never the daemon's).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SOAK_BOUNDS, runSoak } from './support/soak';

describe('soak (short)', { timeout: 180_000 }, () => {
  it('20 s of mixed good and bad clients and a flapping member: bounded memory and descriptors, good clients served', async () => {
    // Short run: the first half is warm-up (the heap is still growing to the load for the first seconds).
    const r = await runSoak(20, (s) => process.stderr.write(`# ${s}\n`), 0.5);
    process.stderr.write(`# soak: ${JSON.stringify(r)}\n`);
    assert.ok(r.decisions > 20, `${r.decisions} decisions`);
    assert.ok(r.flaps >= 3, `${r.flaps} flaps`);
    assert.deepEqual(Object.keys(r.goodErrors), [], `good clients saw errors: ${JSON.stringify(r.goodErrors)}`);
    assert.ok(r.rss.end - r.rss.warm < SOAK_BOUNDS.rssGrowthMiB, `RSS ${r.rss.warm.toFixed(0)} -> ${r.rss.end.toFixed(0)} MiB`);
    assert.ok(r.rss.peak < SOAK_BOUNDS.peakRssMiB, `peak RSS ${r.rss.peak.toFixed(0)} MiB`);
    assert.ok(r.fds.end - r.fds.warm < SOAK_BOUNDS.fdGrowth, `fds ${r.fds.warm} -> ${r.fds.end}`);
  });
});

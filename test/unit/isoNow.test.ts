/** common/isoNow.ts gives what Date#toISOString gives, across seconds, years and the epoch. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoNow } from '../../common/isoNow';

describe('isoNow', () => {
  it('equals toISOString for every millisecond around a second boundary, and for far and negative times', () => {
    const samples = [0, 1, 9, 10, 99, 100, 999, 1000, -1, -1000, -1001, 1_733_550_000_000, 253_402_300_799_999, 253_402_300_800_000];
    for (let ms = 1_765_000_000_990; ms < 1_765_000_001_012; ms++) samples.push(ms);
    for (const ms of samples) assert.equal(isoNow(ms), new Date(ms).toISOString(), `at ${ms}`);
  });

  it('without an argument: now', () => {
    const before = Date.now();
    const t = Date.parse(isoNow());
    assert.ok(t >= before && t <= Date.now());
  });
});

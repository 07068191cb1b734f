import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dawidSkene, dawidSkeneAggregator } from '../../../daemon/learning/aggregators/dawidSkene';
import { synthetic } from './fixtures';

const TRUE = [0.9, 0.75, 0.6, 0.5, 0.35];

test('Dawid-Skene recovers member reliabilities from votes alone (independent errors)', () => {
  const items = synthetic(4000, TRUE, 11).map((it) => ({ ...it, gold: null }));
  const ds = dawidSkene(items, TRUE.length, 4);
  ds.reliability.forEach((p, m) => assert.ok(Math.abs(p - TRUE[m]!) < 0.03, `member ${m}: estimated ${p.toFixed(3)}, true ${TRUE[m]}`));
  assert.ok(ds.iterations < 100);
});

test('the Dawid-Skene strategy never reads gold, and beats majority when members differ in skill', () => {
  const items = synthetic(3000, TRUE, 12);
  const models = TRUE.map((_, i) => `m${i}`);
  const blind = items.map((it) => ({ ...it, gold: null }));
  const withGold = dawidSkeneAggregator.fit([], { models, unlabeled: items });
  const without = dawidSkeneAggregator.fit([], { models, unlabeled: blind });
  let dsRight = 0;
  let majRight = 0;
  for (const it of items) {
    const a = withGold.predict(it).answer;
    assert.equal(a, without.predict(it).answer);
    if (a === it.gold) dsRight++;
    const counts = new Map<string, number>();
    for (const v of it.votes) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
    const best = [...counts].sort((x, y) => y[1] - x[1])[0]![0];
    if (best === it.gold) majRight++;
  }
  assert.ok(dsRight > majRight, `${dsRight} vs ${majRight}`);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diversity, phi } from '../../../daemon/learning/diversity';
import { item } from './fixtures';

test('phi: +1 identical, -1 opposite, 0 independent, null when constant', () => {
  assert.equal(phi([true, false, true, false], [true, false, true, false]), 1);
  assert.equal(phi([true, false, true, false], [false, true, false, true]), -1);
  assert.equal(phi([true, true, false, false], [true, false, true, false]), 0);
  assert.equal(phi([true, true], [true, false]), null);
});

test('diversity: error correlation and disagreement over items both members were asked', () => {
  const items = [item(['A', 'A', 'B'], 'A'), item(['B', 'B', 'B'], 'A'), item(['A', null, 'A'], 'A'), item(['C', 'C', undefined], 'A')];
  const d = diversity(items, ['x', 'y', 'z']);
  // errors x: 0 1 0 1; y: 0 1 1 1 -> phi = 1 * 1 - 0 / sqrt(2 * 2 * 3 * 1)
  assert.ok(Math.abs(d.errorCorrelation[0]![1]! - 1 / Math.sqrt(3)) < 1e-12);
  assert.equal(d.errorCorrelation[0]![0], 1);
  assert.equal(d.disagreement[0]![1], 1 / 4);
  assert.equal(d.disagreement[0]![2], 1 / 3);
  assert.equal(d.pairItems[0]![2], 3);
  assert.deepEqual(d.errorCorrelation[1], [d.errorCorrelation[0]![1], 1, d.errorCorrelation[2]![1]]);
});

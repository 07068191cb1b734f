import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StrategyName } from '../../../protocol/ensemble';
import { combine } from '../../../daemon/strategies/index';
import type { StrategyVote } from '../../../daemon/strategies/types';
import { near, ok, skipped, timeout } from './helpers';

const labels = ['x', 'y'];
// Two light x voters against one heavy, confident y voter, one timeout, one skipped.
const votes: StrategyVote[] = [
  ok('A', 'x', { probabilities: { x: 0.6, y: 0.4 } }),
  ok('B', 'y', { probabilities: { y: 1 }, weight: 3 }),
  timeout('C'),
  ok('D', 'x', { probabilities: { x: 0.6, y: 0.4 } }),
  skipped('E'),
];

const rows: { strategy: StrategyName; label: string; confidence: number; agreement: number; note: string }[] = [
  { strategy: 'majority', label: 'x', confidence: 2 / 3, agreement: 2 / 3, note: '2 of 3 agree; 1 timed out; 1 skipped' },
  { strategy: 'weighted', label: 'y', confidence: 3.8 / 5, agreement: 1 / 3, note: '1 of 3 agrees; 1 timed out; 1 skipped' },
  { strategy: 'earlyExit', label: 'x', confidence: 2 / 3, agreement: 2 / 3, note: '2 of 3 agree; 1 timed out; 1 skipped' },
];

describe('combine', () => {
  for (const row of rows) {
    it(row.strategy, () => {
      const out = combine(row.strategy, votes, labels);
      assert.equal(out.label, row.label);
      near(out.confidence, row.confidence, 'confidence');
      near(out.agreement, row.agreement, 'agreement');
      assert.equal(out.note, row.note);
    });
  }

  it('earlyExit with settings names the reason', () => {
    const out = combine('earlyExit', [ok('A', 'x'), ok('B', 'x'), skipped('C')], labels, { earlyExit: { agreeK: 2, threshold: 0.6 } });
    assert.equal(out.label, 'x');
    assert.equal(out.note, '2 of 2 agree; 1 skipped; early exit: the rest could not change the outcome');
  });

  it('unknown strategy throws', () => {
    assert.throws(() => combine('bogus' as StrategyName, votes, labels), /unknown strategy: bogus/);
  });
});

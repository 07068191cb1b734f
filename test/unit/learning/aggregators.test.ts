import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RESEARCH_AGGREGATORS } from '../../../daemon/learning/aggregators/index';
import { buildTable, plurality, type Aggregator, type Item } from '../../../daemon/learning/aggregators/types';
import { item } from './fixtures';

// The strategies the daemon runs are table-tested once, in test/unit/strategies/engine.test.ts;
// here: the vote table and the research-only estimators.
const byName = (n: string) => RESEARCH_AGGREGATORS.find((a) => a.name === n)!;
const fit = (a: Aggregator, train: Item[], models = 3) =>
  a.fit(train, { models: Array.from({ length: models }, (_, i) => `m${i}`), unlabeled: train });

test('buildTable: member order, absences, confidences from probability vectors', () => {
  const t = buildTable(
    [
      { item: 'x', model: 'b', prediction: 'A', probabilities: { A: 0.7, B: 0.3 }, gold: 'A', category: 'c' },
      { item: 'x', model: 'a', prediction: null },
      { item: 'y', model: 'a', prediction: 'B', confidence: 0.4 },
    ],
    ['a', 'b'],
  );
  assert.deepEqual(t.models, ['a', 'b']);
  assert.deepEqual(
    t.items.map((i) => [i.id, i.votes, i.confidences, i.gold, i.category]),
    [
      ['x', [null, 'A'], [undefined, 0.7], 'A', 'c'],
      ['y', ['B', undefined], [0.4, undefined], null, null],
    ],
  );
});

test('plurality: blanks abstain, ties -> earliest in the given order', () => {
  assert.equal(plurality(['A', 'B', 'B']), 'B');
  assert.equal(plurality([null, 'C', 'B']), 'C');
  assert.equal(plurality([undefined, null, null]), null);
  assert.equal(plurality(['A', 'B', 'B', 'A'], undefined, [3, 2, 1, 0]), 'A');
  assert.equal(plurality(['A', 'B', 'B'], [3, 1, 1]), 'A');
});

test('oracle: right when any member is right', () => {
  const o = fit(byName('oracle'), []);
  assert.equal(o.predict(item(['A', 'B', 'C'], 'C')).answer, 'C');
  assert.equal(o.predict(item([null, 'B', 'C'], 'D')).answer, 'B');
});

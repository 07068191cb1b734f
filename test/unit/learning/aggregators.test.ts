import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AGGREGATORS } from '../../../daemon/learning/aggregators/index';
import { fitEarlyExit } from '../../../daemon/learning/aggregators/earlyExit';
import { fitRouter } from '../../../daemon/learning/aggregators/router';
import { fitStacking } from '../../../daemon/learning/aggregators/stacking';
import { buildTable, plurality, type Aggregator, type Item } from '../../../daemon/learning/aggregators/types';
import { item, synthetic } from './fixtures';

const byName = (n: string) => AGGREGATORS.find((a) => a.name === n)!;
const fit = (a: Aggregator, train: Item[], models = 3) => a.fit(train, { models: Array.from({ length: models }, (_, i) => `m${i}`), unlabeled: train });
const answer = (a: Aggregator, train: Item[], it: Item) => fit(a, train).predict(it).answer;

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
  assert.deepEqual(t.items.map((i) => [i.id, i.votes, i.confidences, i.gold, i.category]), [
    ['x', [null, 'A'], [undefined, 0.7], 'A', 'c'],
    ['y', ['B', undefined], [0.4, undefined], null, null],
  ]);
});

test('majority: plurality, blanks abstain, ties -> earliest-listed member, absent members cost nothing', () => {
  const maj = fit(byName('majority'), []);
  assert.deepEqual(maj.predict(item(['A', 'B', 'B'])), { answer: 'B', calls: 3 });
  assert.deepEqual(maj.predict(item([null, 'C', 'B'])), { answer: 'C', calls: 3 });
  assert.deepEqual(maj.predict(item(['A', 'B', null])), { answer: 'A', calls: 3 });
  assert.deepEqual(maj.predict(item([undefined, 'B', 'C'])), { answer: 'B', calls: 2 });
  assert.deepEqual(maj.predict(item([null, null, null])), { answer: null, calls: 3 });
  assert.equal(plurality(['A', 'B', 'B', 'A'], undefined, [3, 2, 1, 0]), 'A');
});

test('oracle: right when any member is right', () => {
  const o = fit(byName('oracle'), []);
  assert.equal(o.predict(item(['A', 'B', 'C'], 'C')).answer, 'C');
  assert.equal(o.predict(item([null, 'B', 'C'], 'D')).answer, 'B');
});

test('weighted: a reliable member outvotes two unreliable ones', () => {
  const train = [...Array.from({ length: 20 }, () => item(['B', 'C', 'A'], 'A')), item(['A', 'A', 'A'], 'A'), item(['D', 'D', 'D'], 'D')];
  assert.equal(answer(byName('majority'), train, item(['C', 'C', 'D'])), 'C');
  assert.equal(answer(byName('weighted'), train, item(['C', 'C', 'D'])), 'D');
  // A calibrated confidence replaces the member's average reliability for that vote.
  assert.equal(answer(byName('weighted'), train, item(['C', 'C', 'D'], null, null, [0.99, 0.99, 0.3])), 'C');
});

test('weightedCategory: each category trusts its own expert', () => {
  const train = [
    ...Array.from({ length: 30 }, (_, i) => item(['A', i % 3 ? 'B' : 'A', null], 'A', 'math')),
    ...Array.from({ length: 30 }, (_, i) => item([i % 3 ? 'B' : 'A', 'A', null], 'A', 'law')),
  ];
  assert.equal(answer(byName('weightedCategory'), train, item(['C', 'D', null], null, 'math')), 'C');
  assert.equal(answer(byName('weightedCategory'), train, item(['C', 'D', null], null, 'law')), 'D');
  assert.equal(answer(byName('majority'), train, item(['C', 'D', null], null, 'law')), 'C');
});

test('stacking: learns that two members agreeing against the third share their errors', () => {
  // m1 and m2 copy each other: when they agree against m0, m0 is right two times out of three.
  const train = [
    ...Array.from({ length: 40 }, () => item(['A', 'B', 'B'], 'A')),
    ...Array.from({ length: 20 }, () => item(['A', 'B', 'B'], 'B')),
    ...Array.from({ length: 20 }, () => item(['A', 'A', 'B'], 'A')),
    ...Array.from({ length: 20 }, () => item(['C', 'A', 'D'], 'A')),
  ];
  const model = fitStacking(train, 3);
  assert.equal(model.predict(item(['C', 'D', 'D'])).answer, 'C');
  assert.equal(model.predict(item(['C', 'D', 'E'])).answer, 'D');
  assert.equal(model.predict(item(['C', 'C', 'C'])).answer, 'C');
  assert.equal(model.predict(item([null, null, null])).answer, null);
  assert.equal(answer(byName('majority'), train, item(['C', 'D', 'D'])), 'D');
});

test('stacking beats majority on synthetic data with a strong and two weak members', () => {
  const train = synthetic(600, [0.8, 0.35, 0.35], 1);
  const held = synthetic(600, [0.8, 0.35, 0.35], 2);
  const acc = (a: Aggregator) => held.filter((it) => fit(a, train).predict(it).answer === it.gold).length / held.length;
  assert.ok(acc(byName('stacking')) > acc(byName('majority')) + 0.03);
});

test('router: per category the best member answers, a fallback only when it abstains', () => {
  const train = [
    ...Array.from({ length: 40 }, (_, i) => item([i % 4 ? 'B' : 'A', i % 5 ? 'A' : null, 'C'], 'A', 'math')),
    ...Array.from({ length: 40 }, (_, i) => item(['A', i % 2 ? 'B' : 'A', 'C'], 'A', 'law')),
  ];
  const r = fitRouter(train, 3);
  assert.deepEqual(r.routes.get('math'), { first: 1, fallback: 0 });
  assert.equal(r.routes.get('law')!.first, 0);
  assert.deepEqual(r.predict(item(['X', 'Y', 'Z'], null, 'math')), { answer: 'Y', calls: 1 });
  assert.deepEqual(r.predict(item(['X', null, 'Z'], null, 'math')), { answer: 'X', calls: 2 });
  assert.deepEqual(r.predict(item(['X', 'Y', 'Z'], null, 'law')), { answer: 'X', calls: 1 });
  assert.equal(r.predict(item(['X', 'Y', 'Z'], null, 'unseen')).calls, 1);
});

test('early exit: stops once the rest cannot change the vote, and answers like the full weighted vote', () => {
  const train = synthetic(300, [0.6, 0.5, 0.4], 3);
  const ee = fitEarlyExit(train, 3);
  assert.deepEqual(ee.predict(item(['A', 'A', 'B'])), { answer: 'A', calls: 2 });
  assert.deepEqual(ee.predict(item(['A', 'B', 'B'])), { answer: 'B', calls: 3 });
  assert.deepEqual(ee.predict(item(['A', 'B', 'C'])), { answer: 'A', calls: 3 });
  assert.deepEqual(fitEarlyExit(train, 3, { agree: 1 }).predict(item(['A', 'B', 'B'])), { answer: 'A', calls: 1 });
  // Same answers as weighted voting with the same weights on random tables; never more calls.
  const wc = fit(byName('weightedCategory'), train);
  let calls = 0;
  for (const it of synthetic(500, [0.6, 0.5, 0.4], 4)) {
    const p = ee.predict(it);
    assert.equal(p.answer, wc.predict(it).answer);
    calls += p.calls;
  }
  assert.ok(calls / 500 < 3 && calls / 500 > 2);
});

test('every aggregator returns a label among the votes (or null) and counts calls', () => {
  const train = synthetic(200, [0.7, 0.5, 0.45], 5, 'c');
  for (const a of AGGREGATORS) {
    const p = fit(a, train);
    for (const it of synthetic(50, [0.7, 0.5, 0.45], 6, 'c')) {
      const r = p.predict(it);
      assert.ok(r.answer === null || it.votes.includes(r.answer), a.name);
      assert.ok(r.calls >= 1 && r.calls <= 3, a.name);
    }
  }
});

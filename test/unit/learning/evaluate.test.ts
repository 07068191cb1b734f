import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate } from '../../../daemon/learning/evaluate';
import type { Recording } from '../../../daemon/learning/recordings';
import { trainTestSplit } from '../../../daemon/learning/split';
import { mulberry32 } from '../../../daemon/learning/split';

// item: gold, category, votes of a, b, c ('' = abstain, undefined = absent)
const ROWS: Array<[string, string, Array<string | undefined>]> = [
  ['A', 'x', ['A', 'A', 'B']],
  ['B', 'x', ['A', 'B', 'B']],
  ['C', 'x', ['C', 'D', '']],
  ['D', 'y', ['A', 'B', 'C']],
  ['A', 'y', ['', 'A', 'A']],
  ['B', 'y', ['B', undefined, 'C']],
  ['C', 'y', ['D', 'D', 'D']],
  ['D', 'x', ['D', 'C', 'D']],
];
const fixture = (): Recording[] =>
  ROWS.flatMap(([gold, category, votes], i) =>
    votes.flatMap((v, m) =>
      v === undefined ? [] : [{ item: `q${i}`, model: 'abc'[m]!, prediction: v === '' ? null : v, gold, category }],
    ),
  );

test('train fraction 0: every item, per-model accuracy and fixed strategies exactly', () => {
  const r = evaluate(fixture(), { trainFraction: 0 });
  assert.deepEqual(r.models, ['a', 'b', 'c']);
  assert.deepEqual(r.split, { train: 0, test: 8, evaluatedOn: 'all items' });
  assert.deepEqual(
    r.perModel.map((m) => [m.model, m.accuracy, m.n, m.abstained]),
    [
      ['a', 4 / 8, 8, 1 / 8],
      ['b', 3 / 7, 7, 0],
      ['c', 3 / 8, 8, 1 / 8],
    ],
  );
  assert.deepEqual(
    r.strategies.map((s) => s.name),
    ['majority', 'weighted', 'earlyExit', 'oracle'],
  );
  assert.ok(r.strategies.find((s) => s.name === 'oracle')!.researchOnly);
  // majority: A, B, C (tie C/D -> a first), A (tie -> a), A, B (tie -> a), D, D
  const maj = r.strategies[0]!;
  assert.equal(maj.accuracy, 6 / 8);
  assert.equal(maj.callsPerItem, 23 / 8);
  assert.equal(r.oracle!.accuracy, 6 / 8); // q3 and q6: nobody right
  assert.equal(r.calibration, null);
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});

test('held-out evaluation reproduces per-model accuracy on the split it reports', () => {
  const rand = mulberry32(5);
  const recs: Recording[] = [];
  for (let i = 0; i < 1000; i++) {
    const gold = 'ABCD'[Math.floor(rand() * 4)]!;
    const category = ['p', 'q', 'r'][i % 3]!;
    ['m1', 'm2', 'm3'].forEach((model, m) => {
      const acc = [0.7, 0.55, 0.4][m]!;
      const prediction = rand() < 0.05 ? null : rand() < acc ? gold : 'ABCD'[Math.floor(rand() * 4)]!;
      recs.push({ item: `i${i}`, model, prediction, gold, category });
    });
  }
  const r = evaluate(recs, { trainFraction: 0.5, seed: 3, excludeIds: new Set(['i0', 'i1']) });
  assert.equal(r.items, 998);
  assert.equal(r.excluded, 2);
  assert.equal(r.split.train + r.split.test, 998);
  const ids = [...new Set(recs.map((x) => x.item))]
    .filter((x) => x !== 'i0' && x !== 'i1')
    .map((id) => ({ id, category: recs.find((x) => x.item === id)!.category! }));
  const held = new Set(
    trainTestSplit(ids, { trainFraction: 0.5, seed: 3, id: (x) => x.id, stratum: (x) => x.category }).test.map((x) => x.id),
  );
  for (const m of r.perModel) {
    const mine = recs.filter((x) => x.model === m.model && held.has(x.item));
    assert.equal(m.accuracy, mine.filter((x) => x.prediction === x.gold).length / mine.length);
  }
  assert.deepEqual(
    r.strategies.map((s) => s.name),
    ['majority', 'weighted', 'earlyExit', 'learned', 'stacking', 'routed', 'dawidSkene', 'oracle'],
  );
  // Learned strategies are chosen on a validation split inside train; research-only ones never.
  for (const s of r.strategies) assert.equal(s.validation === null, s.researchOnly, s.name);
  assert.ok(!['dawidSkene', 'oracle'].includes(r.recommendation.strategy ?? ''));
  assert.deepEqual(r.recommendation.config.ensembles.default!.strategy, r.recommendation.strategy);
  for (const s of r.strategies) assert.ok(s.accuracy >= 0 && s.accuracy <= 1 && s.callsPerItem > 0, s.name);
  assert.equal(evaluate(recs, { trainFraction: 0.5, seed: 3, stratify: false }).split.test, 500);
  assert.deepEqual(evaluate(recs, { seed: 9 }), evaluate([...recs].reverse(), { seed: 9, models: ['m1', 'm2', 'm3'] }));
  assert.equal(r.recommendation.kind, 'ensemble');
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});

test('recommendation: one model is enough when it is always right', () => {
  const recs: Recording[] = [];
  for (let i = 0; i < 60; i++) {
    recs.push({ item: `i${i}`, model: 'oracle-ish', prediction: 'A', gold: 'A' });
    recs.push({ item: `i${i}`, model: 'noisy', prediction: i % 2 ? 'A' : 'B', gold: 'A' });
  }
  const r = evaluate(recs, { trainFraction: 0.5 });
  assert.equal(r.recommendation.kind, 'single');
  assert.deepEqual(r.recommendation.members, ['oracle-ish']);
  assert.equal(r.recommendation.callsPerItem, 1);
  assert.match(r.recommendation.text, /Use oracle-ish alone/);
});

test('calibration section: fitted on train, ECE lower after on held-out', () => {
  const rand = mulberry32(2);
  const recs: Recording[] = [];
  for (let i = 0; i < 1500; i++) {
    const q = 0.3 + 0.6 * rand();
    const right = rand() < q;
    const c = 1 / (1 + ((1 - q) / q) ** 3);
    recs.push({
      item: `i${i}`,
      model: 'm',
      prediction: right ? 'A' : 'B',
      gold: 'A',
      probabilities: right ? { A: c, B: 1 - c } : { B: c, A: 1 - c },
    });
    recs.push({ item: `i${i}`, model: 'n', prediction: right ? 'A' : 'C', gold: 'A', confidence: c });
  }
  const r = evaluate(recs, { trainFraction: 0.5 });
  const [m, n] = r.calibration!.models;
  assert.match(r.calibration!.binning, /15 equal-width bins/);
  assert.equal(m!.method, 'temperature');
  assert.ok(m!.temperature! > 2);
  assert.ok(m!.afterTemperature!.ece! < m!.before.ece! / 2);
  assert.ok(m!.afterTemperature!.brierMulticlass! < m!.before.brierMulticlass!);
  assert.equal(n!.method, 'platt');
  assert.ok(n!.afterPlatt!.ece! < n!.before.ece! / 2);
  assert.equal(n!.before.brierMulticlass, null);
  assert.equal(m!.diagramBefore.length, 15);
  const r0 = evaluate(recs, { trainFraction: 0 });
  assert.equal(r0.calibration!.models[0]!.afterTemperature, null);
  assert.equal(r0.calibration!.models[0]!.method, 'none');
});

test('bad options are range errors', () => {
  assert.throws(() => evaluate(fixture(), { trainFraction: 1 }), /trainFraction must be in \[0, 1\)/);
  assert.throws(() => evaluate(fixture(), { seed: 0.5 }), /seed must be an integer/);
  assert.throws(() => evaluate(fixture(), { excludeIds: new Set(ROWS.map((_, i) => `q${i}`)) }), /no items left/);
  const noGold = fixture().map(({ gold: _g, ...r }) => r);
  assert.throws(() => evaluate(noGold, { trainFraction: 0.5 }), /no train item has a gold label/);
  assert.equal(evaluate(noGold, { trainFraction: 0 }).withGold, 0);
});

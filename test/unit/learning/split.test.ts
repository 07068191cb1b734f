import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32, trainTestSplit } from '../../../daemon/learning/split';

const items = Array.from({ length: 1000 }, (_, i) => ({ id: `q${i}`, cat: i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : 'c' }));
const opts = (seed: number, trainFraction = 0.5) => ({
  trainFraction,
  seed,
  id: (x: { id: string }) => x.id,
  stratum: (x: { cat: string }) => x.cat,
});

test('mulberry32 is deterministic and in [0, 1)', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(
    xs,
    Array.from({ length: 1000 }, () => b()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, mulberry32(43)));
});

test('same seed -> same split, whatever the input order; other seed -> other split', () => {
  const s1 = trainTestSplit(items, opts(7));
  const s2 = trainTestSplit([...items].reverse(), opts(7));
  assert.deepEqual(
    s1.train.map((x) => x.id),
    s2.train.map((x) => x.id),
  );
  const s3 = trainTestSplit(items, opts(8));
  assert.notDeepEqual(
    s1.train.map((x) => x.id),
    s3.train.map((x) => x.id),
  );
});

test('splits are a partition with the requested fraction in every stratum', () => {
  const { train, test: held } = trainTestSplit(items, opts(1, 0.3));
  assert.equal(train.length + held.length, items.length);
  assert.equal(new Set([...train, ...held].map((x) => x.id)).size, items.length);
  for (const c of ['a', 'b', 'c']) {
    const n = items.filter((x) => x.cat === c).length;
    assert.equal(train.filter((x) => x.cat === c).length, Math.round(n * 0.3));
  }
});

test('fraction 0 and 1, unstratified, and bad arguments', () => {
  assert.equal(trainTestSplit(items, opts(1, 0)).train.length, 0);
  assert.equal(trainTestSplit(items, opts(1, 1)).test.length, 0);
  assert.equal(trainTestSplit(items, { trainFraction: 0.25, seed: 3, id: (x) => x.id }).train.length, 250);
  assert.throws(() => trainTestSplit(items, opts(1, 1.5)), /trainFraction must be in \[0, 1\]/);
  assert.throws(() => trainTestSplit(items, opts(1.5)), /seed must be an integer/);
});

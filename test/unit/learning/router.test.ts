/**
 * The router, pure and table-tested: hashed input features, per-member logistic regressions that
 * learn who is right on which kind of text, the asking rule, and the threshold chosen on
 * cross-fitted scores. Then a held-out evaluation on synthetic recordings where each member is an
 * expert on one kind of text: the router beats the best single member at under 1.5 calls per item.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Recording } from '../../../daemon/learning/recordings';
import { evaluate } from '../../../daemon/learning/evaluate';
import { chooseRouteRule, fitStrategies } from '../../../daemon/learning/fitStrategies';
import { dot, fitLogistic, sigmoid } from '../../../daemon/learning/router/logistic';
import { mulberry32 } from '../../../daemon/learning/split';
import { nextRouted, routerScores } from '../../../daemon/strategies/routing';
import { textFeatures } from '../../../daemon/strategies/textFeatures';
import { ok } from '../strategies/helpers';
import { item } from './fixtures';

describe('textFeatures', () => {
  it('is deterministic, sorted, L2-normalised beside the bias bucket', () => {
    const a = textFeatures('Solve x^2 = 4 for x', 'math', 10);
    assert.deepEqual(a, textFeatures('Solve x^2 = 4 for x', 'math', 10));
    assert.equal(a.index[0], 0);
    assert.equal(a.value[0], 1);
    for (let i = 1; i < a.index.length; i++) assert.ok(a.index[i]! > a.index[i - 1]! && a.index[i]! < 1024);
    const norm = a.value.slice(1).reduce((s, v) => s + v * v, 0);
    assert.ok(Math.abs(norm - 1) < 1e-9);
  });

  const rows: Array<[string, string, boolean]> = [
    ['the category changes the vector', 'x', false],
    ['case does not', 'SOLVE X^2 = 4 FOR X', true],
  ];
  for (const [name, text, same] of rows) {
    it(name, () => {
      const base = textFeatures('Solve x^2 = 4 for x', 'math', 10);
      const other = textFeatures(text === 'x' ? 'Solve x^2 = 4 for x' : text, text === 'x' ? 'law' : 'math', 10);
      assert.equal(JSON.stringify(base) === JSON.stringify(other), same);
    });
  }

  it('code and script markers are features of their own', () => {
    const plain = textFeatures('hello there', null, 12);
    const code = textFeatures('hello there\nfunction f() { return 1; }', null, 12);
    const cyr = textFeatures('hello there привет', null, 12);
    assert.notDeepEqual(plain.index, code.index);
    assert.notDeepEqual(plain.index, cyr.index);
  });
});

describe('fitLogistic', () => {
  it('learns which words make a member right', () => {
    const texts = Array.from({ length: 80 }, (_, i) => (i % 2 ? `integral of x number ${i}` : `contract law case ${i}`));
    const xs = texts.map((t) => textFeatures(t, null, 10));
    const ys = texts.map((_, i) => (i % 2 ? 1 : 0));
    const w = fitLogistic(xs, ys, 1024);
    const p = (t: string) => sigmoid(dot(w, textFeatures(t, null, 10)));
    assert.ok(p('integral of x number 999') > 0.7);
    assert.ok(p('contract law case 999') < 0.3);
  });

  it('no data: zero weights; constant targets: the base rate', () => {
    assert.deepEqual([...fitLogistic([], [], 4)], [0, 0, 0, 0]);
    const w = fitLogistic([textFeatures('a', null, 4), textFeatures('b', null, 4)], [1, 1], 16);
    assert.ok(sigmoid(dot(w, textFeatures('c', null, 4))) > 0.99);
  });
});

describe('nextRouted', () => {
  const ranked = ['c', 'a', 'b', 'd'];
  const score = (m: string) => ({ c: 0.8, a: 0.5, b: 0.4, d: 0.3 })[m] ?? 0;
  const rule = { threshold: 0.6, fallback: 2 };
  const rows: Array<[string, Parameters<typeof nextRouted>[0], string[], number?]> = [
    ['nothing asked: the top member', [], ['c']],
    ['the top member is sure: stop', [ok('c', 'x')], []],
    ['the top member abstained: the next one', [ok('c', null)], ['a']],
    ['a less sure first voter: two more at once', [ok('c', null), ok('a', 'x')], ['b', 'd']],
    ['after the fallback round: stop', [ok('c', null), ok('a', 'x'), ok('b', 'y'), ok('d', 'y')], []],
    ['a label outside the set is no vote', [ok('c', 'q')], ['a']],
    ['threshold above every score: the top one and two more', [ok('c', 'x')], ['a', 'b'], 0.9],
  ];
  for (const [name, asked, expected, threshold] of rows) {
    it(name, () =>
      assert.deepEqual(nextRouted(asked, ranked, score, ['x', 'y'], { ...rule, threshold: threshold ?? rule.threshold }), expected),
    );
  }
});

describe('chooseRouteRule', () => {
  it('picks the most accurate rule within the call budget, ties to fewer calls', () => {
    // Member 0 is right and sure on even items; on odd items it is wrong and unsure, members 1 and 2 right.
    const items = Array.from({ length: 40 }, (_, i) => item(i % 2 ? ['B', 'A', 'A'] : ['A', 'B', 'C'], 'A'));
    const scores = items.map((_, i) => (i % 2 ? [0.55, 0.5, 0.5] : [0.9, 0.3, 0.3]));
    const rule = chooseRouteRule(items, ['m0', 'm1', 'm2'], scores, ['A', 'B', 'C'], 2);
    // Asking two more when the top score is under the threshold fixes the odd items.
    assert.equal(rule.fallback, 2);
    assert.ok(rule.threshold > 0.55 && rule.threshold <= 0.9, `threshold ${rule.threshold}`);
    // With a budget of one call per item, no fallback fits: the cheapest rule that never falls back.
    const tight = chooseRouteRule(items, ['m0', 'm1', 'm2'], scores, ['A', 'B', 'C'], 1);
    assert.ok(tight.threshold <= 0.55);
  });
});

/** Three members, each right 85% of the time on its own kind of text and 20% elsewhere. */
function expertRecordings(n: number, seed: number): Recording[] {
  const rand = mulberry32(seed);
  const topics = ['integral derivative equation', 'contract court statute', 'enzyme protein cell'];
  const labels = ['A', 'B', 'C', 'D'];
  const out: Recording[] = [];
  for (let i = 0; i < n; i++) {
    const t = i % 3;
    const gold = labels[Math.floor(rand() * 4)]!;
    const text = `${topics[t]} question ${Math.floor(rand() * 1000)}`;
    ['m0', 'm1', 'm2'].forEach((model, m) => {
      const right = rand() < (m === t ? 0.85 : 0.2);
      const prediction = right ? gold : labels.filter((l) => l !== gold)[Math.floor(rand() * 3)]!;
      out.push({ item: `i${String(i).padStart(4, '0')}`, model, prediction, gold, text });
    });
  }
  return out;
}

describe('router, end to end on recordings', () => {
  it('fitStrategies: the router scores each expert highest on its own kind of text', () => {
    const recs = expertRecordings(300, 4);
    const fit = fitStrategies(
      [...new Set(recs.map((r) => r.item))].map((id) => {
        const rs = recs.filter((r) => r.item === id);
        return {
          ...item(
            rs.map((r) => r.prediction),
            rs[0]!.gold!,
          ),
          text: rs[0]!.text!,
        };
      }),
      ['m0', 'm1', 'm2'],
      ['A', 'B', 'C', 'D'],
      { skipStacking: true },
    );
    const s = (text: string) => routerScores(fit.router!, textFeatures(text, null, fit.router!.bits));
    const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));
    assert.equal(argmax(s('integral derivative equation question 5')), 0);
    assert.equal(argmax(s('contract court statute question 5')), 1);
    assert.equal(argmax(s('enzyme protein cell question 5')), 2);
  });

  it('held out: routed beats the best single member at under 1.5 calls per item', () => {
    const r = evaluate(expertRecordings(600, 9), { trainFraction: 0.5, seed: 1, strategies: ['majority', 'routed'] });
    const routed = r.strategies.find((s) => s.name === 'routed')!;
    const best = Math.max(...r.perModel.map((m) => m.accuracy));
    assert.ok(routed.callsPerItem < 1.5, `calls ${routed.callsPerItem}`);
    assert.ok(routed.accuracy > best + 0.2, `routed ${routed.accuracy} vs best single ${best}`);
  });
});

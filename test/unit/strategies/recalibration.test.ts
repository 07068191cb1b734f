import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  priorAccuracy,
  windowWeights,
  type FeedbackEntry,
  type ModelPrior,
  type RecalibrationOptions,
  type WindowWeight,
} from '../../../daemon/strategies/recalibration';
import { near } from './helpers';

const T = true;
const F = false;
/** Feedback for one model at consecutive times. */
function seq(model: string, outcomes: boolean[], start = 0): FeedbackEntry[] {
  return outcomes.map((correct, i) => ({ model, correct, at: start + i }));
}
const times = (n: number, v: boolean) => Array<boolean>(n).fill(v);

interface Row {
  name: string;
  feedback: FeedbackEntry[];
  models: ModelPrior[];
  window: number;
  options?: RecalibrationOptions;
  expected: Record<string, WindowWeight>;
}

const rows: Row[] = [
  {
    name: 'no feedback keeps the prior weight exactly',
    feedback: [],
    models: [
      { id: 'a', priorWeight: 1 },
      { id: 'b', priorWeight: 2.5 },
      { id: 'c', priorWeight: 0 },
    ],
    window: 20,
    expected: {
      a: { weight: 1, recentAccuracy: null, n: 0 },
      b: { weight: 2.5, recentAccuracy: null, n: 0 },
      c: { weight: 0, recentAccuracy: null, n: 0 },
    },
  },
  {
    name: 'always right: weight rises above the prior',
    feedback: seq('m', times(20, T)),
    models: [{ id: 'm', priorWeight: 1 }],
    window: 20,
    // p = (20 + 10·σ(1)) / 30 = 0.910353; ln(p / (1 - p))
    expected: { m: { weight: 2.317950979296416, recentAccuracy: 1, n: 20 } },
  },
  {
    name: 'accuracy drops: the right answers slide out of the window and the weight falls to 0',
    feedback: seq('m', [...times(20, T), ...times(20, F)]),
    models: [{ id: 'm', priorWeight: 1 }],
    window: 20,
    expected: { m: { weight: 0, recentAccuracy: 0, n: 20 } },
  },
  {
    name: 'accuracy drops to a coin flip: weight falls from 2.32 to 0.47',
    feedback: seq('m', [...times(20, T), ...times(5, F), ...times(5, T)]),
    models: [{ id: 'm', priorWeight: 1 }],
    window: 10,
    // p = (5 + 7.310586) / 20 = 0.615529
    expected: { m: { weight: 0.470614919734081, recentAccuracy: 0.5, n: 10 } },
  },
  {
    name: 'the window is per model',
    feedback: [
      { model: 'a', correct: T, at: 1 },
      { model: 'b', correct: T, at: 2 },
      { model: 'a', correct: T, at: 3 },
      { model: 'a', correct: F, at: 4 },
      { model: 'b', correct: T, at: 5 },
      { model: 'a', correct: F, at: 6 },
    ],
    models: [
      { id: 'a', priorWeight: 0 },
      { id: 'b', priorWeight: 0 },
    ],
    window: 2,
    options: { priorStrength: 2 },
    // a: last two wrong, p = (0 + 1) / 4; b: both right, p = (2 + 1) / 4
    expected: {
      a: { weight: 0, recentAccuracy: 0, n: 2 },
      b: { weight: Math.log(3), recentAccuracy: 1, n: 2 },
    },
  },
  {
    name: 'feedback out of time order is sorted by `at`',
    feedback: [
      { model: 'm', correct: F, at: 1 },
      { model: 'm', correct: T, at: 3 },
      { model: 'm', correct: F, at: 2 },
    ],
    models: [{ id: 'm', priorWeight: 0 }],
    window: 1,
    options: { priorStrength: 1 },
    // window holds the newest (at 3, right): p = (1 + 0.5) / 2
    expected: { m: { weight: Math.log(3), recentAccuracy: 1, n: 1 } },
  },
  {
    name: 'feedback for unknown models is ignored',
    feedback: seq('ghost', [T, T, T]),
    models: [{ id: 'm', priorWeight: 1.5 }],
    window: 5,
    expected: { m: { weight: 1.5, recentAccuracy: null, n: 0 } },
  },
  {
    name: 'prior strength 1, prior 0 (coin flip): 2 of 3 right',
    feedback: seq('m', [T, F, T]),
    models: [{ id: 'm', priorWeight: 0 }],
    window: 10,
    options: { priorStrength: 1 },
    expected: { m: { weight: Math.log(5 / 3), recentAccuracy: 2 / 3, n: 3 } },
  },
  {
    name: 'clipped to maxWeight',
    feedback: seq('m', times(1000, T)),
    models: [{ id: 'm', priorWeight: 1 }],
    window: 1000,
    options: { maxWeight: 2 },
    expected: { m: { weight: 2, recentAccuracy: 1, n: 1000 } },
  },
  {
    name: 'default clip (10) does not bind at 1000 of 1000',
    feedback: seq('m', times(1000, T)),
    models: [{ id: 'm', priorWeight: 1 }],
    window: 1000,
    expected: { m: { weight: 5.9257158664877085, recentAccuracy: 1, n: 1000 } },
  },
  {
    name: 'a prior above maxWeight raises the clip; all right with p0 = 1 gives the clip',
    feedback: seq('m', times(5, T)),
    models: [{ id: 'm', priorWeight: 40 }],
    window: 10,
    expected: { m: { weight: 40, recentAccuracy: 1, n: 5 } },
  },
];

describe('windowWeights', () => {
  for (const row of rows) {
    it(row.name, () => {
      const out = windowWeights(row.feedback, row.models, row.window, row.options);
      assert.deepEqual(Object.keys(out).sort(), Object.keys(row.expected).sort());
      for (const [id, e] of Object.entries(row.expected)) {
        const got = out[id];
        assert.ok(got, id);
        near(got.weight, e.weight, `${id}.weight`);
        if (e.recentAccuracy === null) assert.equal(got.recentAccuracy, null);
        else near(got.recentAccuracy ?? NaN, e.recentAccuracy, `${id}.recentAccuracy`);
        assert.equal(got.n, e.n);
      }
    });
  }

  it('weight goes down as accuracy drops, step by step', () => {
    const models = [{ id: 'm', priorWeight: 1 }];
    const history = [...times(10, T), ...times(10, F)];
    const weights = [10, 13, 16, 20].map((k) => windowWeights(seq('m', history.slice(0, k)), models, 10).m?.weight ?? NaN);
    for (let i = 1; i < weights.length; i++) assert.ok((weights[i] ?? NaN) < (weights[i - 1] ?? NaN), `${weights}`);
    near(weights[3] ?? NaN, 0, 'all wrong');
  });

  it('rejects a window below 1', () => {
    assert.throws(() => windowWeights([], [], 0), RangeError);
    assert.throws(() => windowWeights([], [], 2.5), RangeError);
  });
});

describe('priorAccuracy', () => {
  const cases: [number, number][] = [
    [0, 0.5],
    [1, 0.7310585786300049],
    [Math.log(9), 0.9],
  ];
  for (const [w, p] of cases) it(`weight ${w} -> ${p}`, () => near(priorAccuracy(w), p));
});

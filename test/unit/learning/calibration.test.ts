import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyPlatt,
  applyTemperature,
  brierBinary,
  brierMulticlass,
  expectedCalibrationError,
  fitPlatt,
  fitTemperature,
  reliabilityDiagram,
  toConfidencePoint,
  type ConfidencePoint,
  type ProbabilityPoint,
} from '../../../daemon/learning/calibration';
import { mulberry32 } from '../../../daemon/learning/split';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const logit = (p: number) => Math.log(p / (1 - p));

/** Correct with probability q, but reports sigmoid(3 logit q): overconfident. */
function overconfident(n: number, seed: number): ConfidencePoint[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const q = 0.25 + 0.7 * r();
    return { confidence: sigmoid(3 * logit(q)), correct: r() < q };
  });
}

/** Four labels; the truth is drawn from softmax(z), the member reports softmax(3z). */
function overconfidentVectors(n: number, seed: number): ProbabilityPoint[] {
  const r = mulberry32(seed);
  const labels = ['A', 'B', 'C', 'D'];
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return Array.from({ length: n }, () => {
    const z = labels.map(() => 1.5 * gauss());
    const soft = (t: number) => {
      const e = z.map((v) => Math.exp(v * t));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    const truth = soft(1);
    let u = r();
    let gold = labels[3]!;
    for (let k = 0; k < 4; k++)
      if ((u -= truth[k]!) < 0) {
        gold = labels[k]!;
        break;
      }
    const reported = soft(3);
    const probabilities = Object.fromEntries(labels.map((l, k) => [l, reported[k]!]));
    const prediction = labels[reported.indexOf(Math.max(...reported))]!;
    return { probabilities, prediction, gold };
  });
}

test('ECE: 15 equal-width bins, weighted gap between accuracy and confidence', () => {
  assert.equal(
    expectedCalibrationError([
      { confidence: 0.9, correct: true },
      { confidence: 0.9, correct: false },
    ]),
    0.4,
  );
  assert.ok(
    Math.abs(
      expectedCalibrationError([
        { confidence: 0.95, correct: true },
        { confidence: 0.2, correct: false },
      ]) - 0.125,
    ) < 1e-12,
  );
  const bins = reliabilityDiagram([
    { confidence: 0, correct: false },
    { confidence: 1 / 15, correct: true },
    { confidence: 1, correct: true },
  ]);
  assert.equal(bins.length, 15);
  assert.equal(bins[0]!.count, 2);
  assert.equal(bins[14]!.count, 1);
  assert.equal(bins[5]!.accuracy, null);
  assert.ok(Number.isNaN(expectedCalibrationError([])));
});

test('Brier scores: binary on the confidence, multiclass on the vector', () => {
  assert.ok(
    Math.abs(
      brierBinary([
        { confidence: 0.8, correct: true },
        { confidence: 0.6, correct: false },
      ]) -
        (0.04 + 0.36) / 2,
    ) < 1e-12,
  );
  assert.ok(Math.abs(brierMulticlass([{ probabilities: { A: 0.7, B: 0.3 }, prediction: 'A', gold: 'B' }]) - (0.49 + 0.49)) < 1e-12);
  assert.ok(Math.abs(brierMulticlass([{ probabilities: { A: 1 }, prediction: 'A', gold: 'C' }]) - 2) < 1e-12);
});

test('Platt scaling undoes overconfidence: ECE and Brier drop on held-out data', () => {
  const train = overconfident(3000, 1);
  const held = overconfident(3000, 2);
  const pl = fitPlatt(train);
  assert.ok(Math.abs(pl.a - 1 / 3) < 0.08, `a = ${pl.a}`);
  const after = held.map((p) => ({ ...p, confidence: applyPlatt(p.confidence, pl) }));
  const before = expectedCalibrationError(held);
  assert.ok(before > 0.1);
  assert.ok(expectedCalibrationError(after) < before / 3, `${expectedCalibrationError(after)} vs ${before}`);
  assert.ok(brierBinary(after) < brierBinary(held));
});

test('temperature scaling finds T ≈ 3 for a member 3× too sharp, keeps its answers, lowers ECE and Brier', () => {
  const train = overconfidentVectors(3000, 3);
  const held = overconfidentVectors(3000, 4);
  const t = fitTemperature(train);
  assert.ok(Math.abs(t - 3) < 0.4, `T = ${t}`);
  const after = held.map((p) => ({ ...p, probabilities: applyTemperature(p.probabilities, t) }));
  for (const [i, p] of after.entries()) {
    const top = Object.entries(p.probabilities).sort((a, b) => b[1] - a[1])[0]![0];
    assert.equal(top, held[i]!.prediction);
  }
  const eceBefore = expectedCalibrationError(held.map(toConfidencePoint));
  const eceAfter = expectedCalibrationError(after.map(toConfidencePoint));
  assert.ok(eceAfter < eceBefore / 2, `${eceAfter} vs ${eceBefore}`);
  assert.ok(brierMulticlass(after) < brierMulticlass(held));
});

test('a calibrated member is left nearly alone', () => {
  const r = mulberry32(9);
  const pts = Array.from({ length: 4000 }, () => {
    const q = 0.3 + 0.6 * r();
    return { confidence: q, correct: r() < q };
  });
  const pl = fitPlatt(pts);
  assert.ok(Math.abs(pl.a - 1) < 0.15 && Math.abs(pl.b) < 0.15, JSON.stringify(pl));
  assert.deepEqual(applyTemperature({ A: 0.5, B: 0.5 }, 2), { A: 0.5, B: 0.5 });
});

/**
 * Fitting each model's calibration on the labelled votes the daemon has recorded (feedback and
 * `ensemble record` runs). Temperature is fitted on the distributions as recorded, which already
 * went through the temperature in force, so the new one composes with it: (p^(1/T0))^(1/T1) =
 * p^(1/(T0·T1)). Platt is fitted on the models' raw confidences.
 *
 * The figures reported (ECE over 15 bins, Brier) are held out: a calibration fitted on a seeded
 * 70% of the model's votes is measured on the other 30%, which it never saw; the calibration put
 * in force is then fitted on every vote.
 */
import {
  brierBinary,
  expectedCalibrationError,
  fitPlatt,
  fitTemperature,
  applyPlatt,
  applyTemperature,
  type ConfidencePoint,
} from './calibration';
import { mulberry32, shuffle } from './split';
import type { Calibration, LabelledVote } from '../store/store';
import { own } from '../../common/ownProperty';

const HELD_OUT_SHARE = 0.3;
/** Fewer held-out votes than this and the figures would be noise: they are measured in-sample instead (heldOut 0). */
const MIN_HELD_OUT = 5;

export interface CalibrationFit {
  model: string;
  n: number;
  calibration: Calibration | null;
  eceBefore: number;
  eceAfter: number;
  brierBefore: number;
  brierAfter: number;
  /** Votes the figures were measured on, unseen by the calibration measured; 0: measured in-sample (too few votes). */
  heldOut: number;
}

interface Fitted {
  calibration: Calibration;
  /** The fitted map from a vote to its calibrated confidence point. */
  apply: (v: LabelledVote) => ConfidencePoint | null;
}

function pointOf(v: LabelledVote, method: Calibration['method']): ConfidencePoint | null {
  if (method === 'platt') return v.rawConfidence === null ? null : { confidence: v.rawConfidence, correct: v.label === v.gold };
  return Object.keys(v.probabilities).length > 0 ? { confidence: own(v.probabilities, v.label) ?? 0, correct: v.label === v.gold } : null;
}

function fitOne(model: string, vs: readonly LabelledVote[], method: Calibration['method'], t0: number): Fitted {
  if (method === 'temperature') {
    const withProbs = vs.filter((v) => Object.keys(v.probabilities).length > 0);
    const t = fitTemperature(withProbs.map((v) => ({ probabilities: v.probabilities, prediction: v.label, gold: v.gold })));
    return {
      calibration: { model, method, params: { temperature: t0 * t }, n: withProbs.length, fittedAt: new Date().toISOString() },
      apply: (v) =>
        Object.keys(v.probabilities).length > 0
          ? { confidence: own(applyTemperature(v.probabilities, t), v.label) ?? 0, correct: v.label === v.gold }
          : null,
    };
  }
  const points = vs.map((v) => pointOf(v, 'platt')).filter((p): p is ConfidencePoint => p !== null);
  const platt = fitPlatt(points);
  return {
    calibration: { model, method, params: platt, n: points.length, fittedAt: new Date().toISOString() },
    apply: (v) => (v.rawConfidence === null ? null : { confidence: applyPlatt(v.rawConfidence, platt), correct: v.label === v.gold }),
  };
}

export function fitCalibrations(
  votes: readonly LabelledVote[],
  current: ReadonlyMap<string, Calibration>,
  method: Calibration['method'],
  minSamples: number,
): CalibrationFit[] {
  const byModel = new Map<string, LabelledVote[]>();
  for (const v of votes) byModel.set(v.model, [...(byModel.get(v.model) ?? []), v]);
  const fits: CalibrationFit[] = [];
  for (const [model, all] of byModel) {
    const vs = all.filter((v) => pointOf(v, method) !== null);
    const points = (xs: readonly LabelledVote[]) => xs.map((v) => pointOf(v, method)!);
    const t0 = current.get(model)?.method === 'temperature' ? (current.get(model)!.params.temperature ?? 1) : 1;
    if (vs.length < minSamples) {
      const before = points(vs);
      const ece = expectedCalibrationError(before);
      const brier = brierBinary(before);
      fits.push({
        model,
        n: vs.length,
        calibration: null,
        eceBefore: ece,
        eceAfter: ece,
        brierBefore: brier,
        brierAfter: brier,
        heldOut: 0,
      });
      continue;
    }
    // Seeded by the model's name: the same votes give the same split and the same figures.
    const order = shuffle(
      vs.map((_, i) => i),
      mulberry32([...model].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7)),
    );
    const nHeld = Math.round(vs.length * HELD_OUT_SHARE);
    const held = new Set(order.slice(0, nHeld));
    const test = vs.filter((_, i) => held.has(i));
    const train = vs.filter((_, i) => !held.has(i));
    const heldOut = test.length >= MIN_HELD_OUT && train.length > 0;
    const measured = heldOut ? test : vs;
    const probe = fitOne(model, heldOut ? train : vs, method, t0);
    const before = points(measured);
    const after = measured.map((v) => probe.apply(v)).filter((p): p is ConfidencePoint => p !== null);
    fits.push({
      model,
      n: vs.length,
      calibration: fitOne(model, vs, method, t0).calibration,
      eceBefore: expectedCalibrationError(before),
      eceAfter: expectedCalibrationError(after),
      brierBefore: brierBinary(before),
      brierAfter: brierBinary(after),
      heldOut: heldOut ? test.length : 0,
    });
  }
  return fits;
}

/**
 * Fitting each model's calibration on the labelled votes the daemon has recorded (feedback and
 * `ensemble record` runs). Temperature is fitted on the distributions as recorded, which already
 * went through the temperature in force, so the new one composes with it: (p^(1/T0))^(1/T1) =
 * p^(1/(T0·T1)). Platt is fitted on the models' raw confidences.
 */
import { brierBinary, expectedCalibrationError, fitPlatt, fitTemperature, applyPlatt, applyTemperature, type ConfidencePoint } from '../learning/calibration';
import type { Calibration, LabelledVote } from '../store/store';

export interface CalibrationFit {
  model: string;
  n: number;
  calibration: Calibration | null;
  eceBefore: number;
  eceAfter: number;
  brierBefore: number;
  brierAfter: number;
}

export function fitCalibrations(votes: readonly LabelledVote[], current: ReadonlyMap<string, Calibration>, method: Calibration['method'], minSamples: number): CalibrationFit[] {
  const byModel = new Map<string, LabelledVote[]>();
  for (const v of votes) byModel.set(v.model, [...(byModel.get(v.model) ?? []), v]);
  const fits: CalibrationFit[] = [];
  for (const [model, vs] of byModel) {
    const withProbs = vs.filter((v) => Object.keys(v.probabilities).length > 0);
    const before: ConfidencePoint[] = (method === 'platt' ? vs.filter((v) => v.rawConfidence !== null).map((v) => ({ confidence: v.rawConfidence!, correct: v.label === v.gold })) : withProbs.map((v) => ({ confidence: v.probabilities[v.label] ?? 0, correct: v.label === v.gold })));
    const base = { model, n: before.length, eceBefore: expectedCalibrationError(before), brierBefore: brierBinary(before) };
    if (before.length < minSamples) {
      fits.push({ ...base, calibration: null, eceAfter: base.eceBefore, brierAfter: base.brierBefore });
      continue;
    }
    let calibration: Calibration;
    let after: ConfidencePoint[];
    if (method === 'temperature') {
      const t = fitTemperature(withProbs.map((v) => ({ probabilities: v.probabilities, prediction: v.label, gold: v.gold })));
      after = withProbs.map((v) => ({ confidence: applyTemperature(v.probabilities, t)[v.label] ?? 0, correct: v.label === v.gold }));
      const t0 = current.get(model)?.method === 'temperature' ? (current.get(model)!.params.temperature ?? 1) : 1;
      calibration = { model, method, params: { temperature: t0 * t }, n: before.length, fittedAt: new Date().toISOString() };
    } else {
      const platt = fitPlatt(before);
      after = before.map((p) => ({ confidence: applyPlatt(p.confidence, platt), correct: p.correct }));
      calibration = { model, method, params: platt, n: before.length, fittedAt: new Date().toISOString() };
    }
    fits.push({ ...base, calibration, eceAfter: expectedCalibrationError(after), brierAfter: brierBinary(after) });
  }
  return fits;
}

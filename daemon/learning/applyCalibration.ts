/**
 * Applying a fitted calibration (from the store) to one live vote, with the same functions
 * `ensemble eval` fits and reports with (daemon/learning/calibration.ts): temperature scaling of
 * the whole distribution, or Platt scaling of the top confidence with the rest rescaled pro rata.
 */
import { applyPlatt, applyTemperature, withConfidence } from './calibration';
import type { LabelScores } from '../backends/backend';
import type { Calibration } from '../store/store';
import { own } from '../../common/ownProperty';

export function applyCalibration(
  scores: LabelScores,
  c: Calibration | undefined,
): { confidence: number | null; probabilities: Record<string, number> } {
  const { probabilities, label } = scores;
  if (!c || label === null || Object.keys(probabilities).length === 0) return { confidence: scores.confidence, probabilities };
  const { temperature, a, b } = c.params;
  if (c.method === 'temperature' && temperature !== undefined && temperature > 0) {
    const scaled = applyTemperature(probabilities, temperature);
    return { confidence: own(scaled, label) ?? null, probabilities: scaled };
  }
  if (c.method === 'platt' && a !== undefined && b !== undefined && scores.confidence !== null) {
    const top = applyPlatt(scores.confidence, { a, b });
    return { confidence: top, probabilities: withConfidence(probabilities, label, top) };
  }
  return { confidence: scores.confidence, probabilities };
}

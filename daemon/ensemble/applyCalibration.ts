/**
 * Applying a fitted calibration to one vote. Temperature scaling divides the log-probabilities by
 * T (T > 1 softens an overconfident model); Platt scaling maps the top confidence through
 * sigmoid(a·logit(c) + b) and rescales the other labels to share what is left, keeping their ratios.
 */
import type { LabelScores } from '../backends/backend';
import type { Calibration } from '../store/store';

export function applyCalibration(scores: LabelScores, c: Calibration | undefined): { confidence: number | null; probabilities: Record<string, number> } {
  const probabilities = scores.probabilities;
  if (!c || scores.label === null || Object.keys(probabilities).length === 0) {
    return { confidence: scores.confidence, probabilities };
  }
  if (c.method === 'temperature' && c.params.temperature && c.params.temperature > 0) {
    const t = c.params.temperature;
    const scaled: Record<string, number> = {};
    let total = 0;
    for (const [label, p] of Object.entries(probabilities)) {
      const v = p > 0 ? Math.exp(Math.log(p) / t) : 0;
      scaled[label] = v;
      total += v;
    }
    if (!(total > 0)) return { confidence: scores.confidence, probabilities };
    for (const label of Object.keys(scaled)) scaled[label] = scaled[label]! / total;
    return { confidence: scaled[scores.label] ?? null, probabilities: scaled };
  }
  if (c.method === 'platt' && c.params.a !== undefined && c.params.b !== undefined && scores.confidence !== null) {
    const p = Math.min(1 - 1e-6, Math.max(1e-6, scores.confidence));
    const top = 1 / (1 + Math.exp(-(c.params.a * Math.log(p / (1 - p)) + c.params.b)));
    const rest = 1 - (probabilities[scores.label] ?? p);
    const out: Record<string, number> = {};
    for (const [label, q] of Object.entries(probabilities)) {
      out[label] = label === scores.label ? top : rest > 0 ? (q / rest) * (1 - top) : 0;
    }
    return { confidence: top, probabilities: out };
  }
  return { confidence: scores.confidence, probabilities };
}

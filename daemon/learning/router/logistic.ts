/**
 * L2-regularised logistic regression over sparse vectors, fitted by full-batch gradient descent
 * with AdaGrad steps: deterministic (no sampling), a few dozen passes, no dependency. Used by the
 * router: one model per member, predicting the chance that member is right on an input.
 */
import type { SparseVector } from '../../strategies/textFeatures';

export interface LogisticOptions {
  /** L2 penalty per example (the objective is mean log-loss + lambda/2 |w|^2, bias unpenalised). */
  lambda: number;
  epochs: number;
  learningRate: number;
}

export const DEFAULT_LOGISTIC: LogisticOptions = { lambda: 1e-4, epochs: 40, learningRate: 0.5 };

export const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export function dot(w: ArrayLike<number>, x: SparseVector): number {
  let s = 0;
  for (let k = 0; k < x.index.length; k++) s += (w[x.index[k]!] ?? 0) * x.value[k]!;
  return s;
}

/** Weights of size `dim`; bucket 0 is the bias (every vector has it). Targets are 0/1. */
export function fitLogistic(
  xs: readonly SparseVector[],
  ys: readonly number[],
  dim: number,
  opts: LogisticOptions = DEFAULT_LOGISTIC,
): Float64Array {
  const w = new Float64Array(dim);
  const g2 = new Float64Array(dim).fill(1e-8);
  const n = xs.length;
  if (n === 0) return w;
  // Start the bias at the base rate: the first passes then learn differences, not the mean.
  const rate = Math.min(1 - 1e-3, Math.max(1e-3, ys.reduce((a, b) => a + b, 0) / n));
  w[0] = Math.log(rate / (1 - rate));
  const grad = new Float64Array(dim);
  const touched = new Uint8Array(dim);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      const err = sigmoid(dot(w, x)) - ys[i]!;
      for (let k = 0; k < x.index.length; k++) {
        const j = x.index[k]!;
        grad[j]! += (err * x.value[k]!) / n;
        touched[j] = 1;
      }
    }
    for (let j = 0; j < dim; j++) {
      if (!touched[j]) continue;
      const g = grad[j]! + (j === 0 ? 0 : opts.lambda * w[j]!);
      g2[j]! += g * g;
      w[j]! -= (opts.learningRate * g) / Math.sqrt(g2[j]!);
    }
  }
  return w;
}

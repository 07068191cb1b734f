/**
 * Conditional logit ("softmax across candidates"): each choice set has candidates with feature
 * vectors x_k; P(k) = exp(w.x_k) / sum_j exp(w.x_j). Fitted by Newton's method with L2 penalty
 * (lambda/2)|w|^2, which makes the problem strictly convex: a handful of iterations converge.
 */

export interface ChoiceSet {
  /** One feature vector per candidate, all of the same length. */
  x: number[][];
  /** Index of the correct candidate. */
  y: number;
}

export function scores(w: readonly number[], x: readonly number[][]): number[] {
  return x.map((f) => {
    let s = 0;
    for (let d = 0; d < f.length; d++) s += w[d]! * f[d]!;
    return s;
  });
}

export function softmax(s: readonly number[]): number[] {
  const mx = Math.max(...s);
  const e = s.map((v) => Math.exp(v - mx));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

function objective(sets: readonly ChoiceSet[], w: number[], lambda: number, center?: readonly number[]): number {
  let nll = 0;
  for (const cs of sets) {
    const s = scores(w, cs.x);
    const mx = Math.max(...s);
    const lse = mx + Math.log(s.reduce((a, v) => a + Math.exp(v - mx), 0));
    nll += lse - s[cs.y]!;
  }
  return nll + (lambda / 2) * w.reduce((a, v, d) => a + (v - (center?.[d] ?? 0)) ** 2, 0);
}

/** Solves A z = b (A symmetric positive definite) by Cholesky. */
function solveSpd(A: number[][], b: number[]): number[] {
  const n = b.length;
  const L = A.map(() => new Array(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      L[i]![j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j]![j]!;
    }
  }
  const y = new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i]![k]! * y[k]!;
    y[i] = s / L[i]![i]!;
  }
  const z = new Array(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k]![i]! * z[k]!;
    z[i] = s / L[i]![i]!;
  }
  return z;
}

/**
 * Fits w. Choice sets with a single candidate carry no information and may be left in. With
 * `center`, the penalty pulls w toward it instead of toward 0 (a per-group model shrunk to the
 * global one), and the fit starts there.
 */
export function fitConditionalLogit(
  sets: readonly ChoiceSet[],
  dim: number,
  lambda: number,
  maxIter = 30,
  center?: readonly number[],
): number[] {
  const useful = sets.filter((s) => s.x.length > 1);
  let w = center ? [...center] : new Array(dim).fill(0);
  let f = objective(useful, w, lambda, center);
  for (let iter = 0; iter < maxIter; iter++) {
    const g: number[] = new Array(dim).fill(0).map((_, d) => lambda * (w[d] - (center?.[d] ?? 0)));
    const H: number[][] = Array.from({ length: dim }, (_, i) => new Array(dim).fill(0).map((_, j) => (i === j ? lambda : 0)));
    for (const cs of useful) {
      const p = softmax(scores(w, cs.x));
      const mean = new Array(dim).fill(0);
      cs.x.forEach((x, k) => {
        for (let d = 0; d < dim; d++) mean[d] += p[k]! * x[d]!;
      });
      const xy = cs.x[cs.y]!;
      for (let d = 0; d < dim; d++) g[d]! += mean[d]! - xy[d]!;
      cs.x.forEach((x, k) => {
        const pk = p[k]!;
        if (pk < 1e-12) return;
        for (let i = 0; i < dim; i++) {
          const di = x[i]! - mean[i]!;
          if (di === 0) continue;
          const row = H[i]!;
          const pd = pk * di;
          for (let j = 0; j <= i; j++) row[j]! += pd * (x[j]! - mean[j]!);
        }
      });
    }
    for (let i = 0; i < dim; i++) for (let j = i + 1; j < dim; j++) H[i]![j] = H[j]![i]!;
    const step = solveSpd(H, g);
    let t = 1;
    let next = w;
    let fn = f;
    for (let ls = 0; ls < 30; ls++) {
      next = w.map((v, d) => v - t * step[d]!);
      fn = objective(useful, next, lambda, center);
      if (fn <= f) break;
      t /= 2;
    }
    const gain = f - fn;
    if (fn > f) break;
    w = next;
    f = fn;
    if (gain < 1e-8 * Math.max(1, Math.abs(f))) break;
  }
  return w;
}

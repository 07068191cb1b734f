/**
 * Confidence calibration, per member.
 *
 * - Temperature scaling (needs probability vectors): p_T(l) ∝ p(l)^(1/T), i.e. logits log p divided
 *   by T; T minimizes the negative log-likelihood of the gold label (golden-section search on log T
 *   over [1/20, 20]). Probabilities are floored at 1e-6 so a gold label given 0 stays finite.
 *   Preserves the ranking of labels, so it never changes a member's answer.
 * - Platt scaling (needs only a confidence): P(correct) = sigmoid(a * logit(c) + b), a logistic
 *   regression of "the member's answer was right" on its confidence, fitted by Newton's method.
 *
 * Metrics are over (confidence in the member's answer, answer == gold) pairs; abstentions excluded.
 * ECE uses 15 equal-width bins over that confidence, (i/15, (i+1)/15] (0 falls in the first bin):
 * ECE = sum_b (n_b / N) |accuracy_b - mean confidence_b|. Brier: the binary score of that confidence,
 * mean (c - correct)^2; and when vectors exist the multiclass score, mean sum_l (p_l - [l = gold])^2.
 */
import { own } from '../../common/ownProperty';

export const ECE_BINS = 15;
const FLOOR = 1e-6;

export interface ConfidencePoint {
  confidence: number;
  correct: boolean;
}

export interface ProbabilityPoint {
  probabilities: Record<string, number>;
  /** The member's answer, whose probability is its confidence. */
  prediction: string;
  gold: string;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const logit = (p: number) => {
  const q = clamp(p, FLOOR, 1 - FLOOR);
  return Math.log(q / (1 - q));
};
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

// ---------------------------------------------------------------------------------------------
// Metrics

export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean confidence in the bin (null when empty). */
  confidence: number | null;
  accuracy: number | null;
}

export function reliabilityDiagram(points: readonly ConfidencePoint[], bins = ECE_BINS): ReliabilityBin[] {
  const out: ReliabilityBin[] = Array.from({ length: bins }, (_, i) => ({
    lo: i / bins,
    hi: (i + 1) / bins,
    count: 0,
    confidence: 0,
    accuracy: 0,
  }));
  for (const p of points) {
    const b = out[clamp(Math.ceil(p.confidence * bins) - 1, 0, bins - 1)]!;
    b.count++;
    b.confidence! += p.confidence;
    b.accuracy! += p.correct ? 1 : 0;
  }
  for (const b of out) {
    if (b.count === 0) {
      b.confidence = null;
      b.accuracy = null;
    } else {
      b.confidence! /= b.count;
      b.accuracy! /= b.count;
    }
  }
  return out;
}

export function expectedCalibrationError(points: readonly ConfidencePoint[], bins = ECE_BINS): number {
  if (points.length === 0) return NaN;
  let e = 0;
  for (const b of reliabilityDiagram(points, bins)) if (b.count > 0) e += (b.count / points.length) * Math.abs(b.accuracy! - b.confidence!);
  return e;
}

export function brierBinary(points: readonly ConfidencePoint[]): number {
  if (points.length === 0) return NaN;
  return points.reduce((s, p) => s + (p.confidence - (p.correct ? 1 : 0)) ** 2, 0) / points.length;
}

export function brierMulticlass(points: readonly ProbabilityPoint[]): number {
  if (points.length === 0) return NaN;
  let s = 0;
  for (const p of points) {
    const labels = new Set([...Object.keys(p.probabilities), p.gold]);
    for (const l of labels) s += ((own(p.probabilities, l) ?? 0) - (l === p.gold ? 1 : 0)) ** 2;
  }
  return s / points.length;
}

export const toConfidencePoint = (p: ProbabilityPoint): ConfidencePoint => ({
  confidence: own(p.probabilities, p.prediction) ?? 0,
  correct: p.prediction === p.gold,
});

// ---------------------------------------------------------------------------------------------
// Temperature scaling

export function applyTemperature(probs: Readonly<Record<string, number>>, t: number): Record<string, number> {
  const entries = Object.entries(probs);
  if (entries.length === 0) return {};
  const logs = entries.map(([, p]) => Math.log(Math.max(p, FLOOR)) / t);
  const mx = Math.max(...logs);
  const e = logs.map((v) => Math.exp(v - mx));
  const z = e.reduce((a, b) => a + b, 0);
  return Object.fromEntries(entries.map(([l], i) => [l, e[i]! / z]));
}

export function temperatureNll(points: readonly ProbabilityPoint[], t: number): number {
  let s = 0;
  for (const p of points) {
    const probs = Object.hasOwn(p.probabilities, p.gold) ? p.probabilities : { ...p.probabilities, [p.gold]: 0 };
    s -= Math.log(Math.max(applyTemperature(probs, t)[p.gold]!, 1e-300));
  }
  return s / Math.max(1, points.length);
}

/** Golden-section search for the T minimizing NLL, on log T in [log 0.05, log 20]. */
export function fitTemperature(points: readonly ProbabilityPoint[]): number {
  if (points.length === 0) return 1;
  const f = (u: number) => temperatureNll(points, Math.exp(u));
  const g = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(0.05);
  let b = Math.log(20);
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < 60 && b - a > 1e-5; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return Math.exp((a + b) / 2);
}

// ---------------------------------------------------------------------------------------------
// Platt scaling

export interface Platt {
  a: number;
  b: number;
}

export function applyPlatt(confidence: number, pl: Platt): number {
  return sigmoid(pl.a * logit(confidence) + pl.b);
}

/** Logistic regression of correctness on logit(confidence): Newton's method with backtracking, tiny L2 (1e-6). */
export function fitPlatt(points: readonly ConfidencePoint[], iterations = 100): Platt {
  const reg = 1e-6;
  const zs = points.map((p) => logit(p.confidence));
  const loss = (a: number, b: number) => {
    let l = (reg / 2) * (a * a + b * b);
    zs.forEach((z, i) => {
      const u = a * z + b;
      // log(1 + e^u) - y u, computed stably
      l += Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u))) - (points[i]!.correct ? u : 0);
    });
    return l;
  };
  let a = 1;
  let b = 0;
  let f = loss(a, b);
  for (let it = 0; it < iterations; it++) {
    let ga = reg * a;
    let gb = reg * b;
    let haa = reg;
    let hab = 0;
    let hbb = reg;
    zs.forEach((z, i) => {
      const q = sigmoid(a * z + b);
      const r = q - (points[i]!.correct ? 1 : 0);
      ga += r * z;
      gb += r;
      const w = q * (1 - q);
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    });
    const det = haa * hbb - hab * hab;
    const newton = det > 1e-18;
    const da = newton ? (hbb * ga - hab * gb) / det : ga;
    const db = newton ? (haa * gb - hab * ga) / det : gb;
    let t = 1;
    let fn = loss(a - da, b - db);
    while (fn > f && t > 1e-10) {
      t /= 2;
      fn = loss(a - t * da, b - t * db);
    }
    if (fn > f) break;
    a -= t * da;
    b -= t * db;
    const gain = f - fn;
    f = fn;
    if (gain < 1e-12 * Math.max(1, f)) break;
  }
  return { a, b };
}

/** Rescales a vector so its `prediction` gets `confidence` and the others share the rest pro rata. */
export function withConfidence(probs: Readonly<Record<string, number>>, prediction: string, confidence: number): Record<string, number> {
  const old = own(probs, prediction) ?? 0;
  const rest = 1 - old;
  const out: Record<string, number> = {};
  for (const [l, p] of Object.entries(probs)) out[l] = l === prediction ? confidence : rest > 0 ? (p * (1 - confidence)) / rest : 0;
  out[prediction] = confidence;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Per member, on the vote table

export interface CalibrationMetrics {
  /** Answers with a confidence behind the numbers. */
  n: number;
  ece: number | null;
  brier: number | null;
  /** Only when probability vectors were recorded. */
  brierMulticlass: number | null;
  meanConfidence: number | null;
  accuracy: number | null;
}

export interface MemberCalibration {
  model: string;
  /** What `apply` uses: temperature on probability vectors, Platt on bare confidences. */
  method: 'temperature' | 'platt' | 'none';
  temperature: number | null;
  platt: Platt | null;
  fittedOn: number;
  before: CalibrationMetrics;
  afterTemperature: CalibrationMetrics | null;
  afterPlatt: CalibrationMetrics | null;
  diagramBefore: ReliabilityBin[];
  diagramAfter: ReliabilityBin[] | null;
}

export interface CalibrationReport {
  bins: number;
  binning: string;
  models: MemberCalibration[];
}

interface TableItem {
  gold: string | null;
  votes: Array<string | null | undefined>;
  confidences: Array<number | undefined>;
  probabilities: Array<Record<string, number> | undefined>;
}

function pointsOf(items: readonly TableItem[], m: number): { conf: ConfidencePoint[]; prob: ProbabilityPoint[] } {
  const conf: ConfidencePoint[] = [];
  const prob: ProbabilityPoint[] = [];
  for (const it of items) {
    const v = it.votes[m];
    const c = it.confidences[m];
    if (v === null || v === undefined || it.gold === null || c === undefined) continue;
    conf.push({ confidence: c, correct: v === it.gold });
    const p = it.probabilities[m];
    if (p) prob.push({ probabilities: p, prediction: v, gold: it.gold });
  }
  return { conf, prob };
}

function metrics(items: readonly TableItem[], m: number): CalibrationMetrics {
  const { conf, prob } = pointsOf(items, m);
  const n = conf.length;
  const nul = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    n,
    ece: nul(expectedCalibrationError(conf)),
    brier: nul(brierBinary(conf)),
    brierMulticlass: prob.length > 0 ? nul(brierMulticlass(prob)) : null,
    meanConfidence: n ? conf.reduce((s, p) => s + p.confidence, 0) / n : null,
    accuracy: n ? conf.filter((p) => p.correct).length / n : null,
  };
}

/** Copies items with member m's confidence (and vector) recalibrated. */
function applyMember<T extends TableItem>(items: readonly T[], m: number, t: number | null, pl: Platt | null): T[] {
  return items.map((it) => {
    const v = it.votes[m];
    const c = it.confidences[m];
    if (v === null || v === undefined || c === undefined) return it;
    const confidences = [...it.confidences];
    const probabilities = [...it.probabilities];
    const p = it.probabilities[m];
    if (p && t !== null) {
      probabilities[m] = applyTemperature(p, t);
      confidences[m] = own(probabilities[m]!, v) ?? 0;
    } else if (pl) {
      confidences[m] = applyPlatt(c, pl);
      if (p) probabilities[m] = withConfidence(p, v, confidences[m]!);
    } else return it;
    return { ...it, confidences, probabilities };
  });
}

/**
 * Fits each member's calibration on `train` (when `fit`), measures it on `evaluated`, and returns a
 * function applying it to items (copies; inputs untouched). `report` is null when no member has
 * confidences.
 */
export function calibrateMembers<T extends TableItem>(
  models: readonly string[],
  train: readonly T[],
  evaluated: readonly T[],
  fit: boolean,
): { report: CalibrationReport | null; apply: (items: readonly T[]) => T[] } {
  const fitted: Array<{ m: number; t: number | null; pl: Platt | null }> = [];
  const out: MemberCalibration[] = [];
  models.forEach((model, m) => {
    const ev = pointsOf(evaluated, m);
    const tr = pointsOf(train, m);
    if (ev.conf.length === 0 && tr.conf.length === 0) return;
    const t = fit && tr.prob.length > 0 ? fitTemperature(tr.prob) : null;
    const pl = fit && tr.conf.length > 0 ? fitPlatt(tr.conf) : null;
    const after = (tt: number | null, pp: Platt | null) => metrics(applyMember(evaluated, m, tt, pp), m);
    const method = t !== null ? 'temperature' : pl !== null ? 'platt' : 'none';
    if (method !== 'none') fitted.push({ m, t, pl });
    out.push({
      model,
      method,
      temperature: t,
      platt: pl,
      fittedOn: fit ? tr.conf.length : 0,
      before: metrics(evaluated, m),
      afterTemperature: t !== null ? after(t, null) : null,
      afterPlatt: pl !== null ? after(null, pl) : null,
      diagramBefore: reliabilityDiagram(ev.conf),
      diagramAfter: method === 'none' ? null : reliabilityDiagram(pointsOf(applyMember(evaluated, m, t, pl), m).conf),
    });
  });
  const report =
    out.length === 0
      ? null
      : {
          bins: ECE_BINS,
          binning: `${ECE_BINS} equal-width bins over the confidence in the member's answer, (i/${ECE_BINS}, (i+1)/${ECE_BINS}]`,
          models: out,
        };
  return {
    report,
    apply: (items) => fitted.reduce<T[]>((acc, f) => applyMember(acc, f.m, f.t, f.pl), [...items]),
  };
}

/**
 * Sliding-window recalibration: a model's weight follows its recent accuracy on feedback, so a
 * model that starts getting things wrong loses weight without anyone editing the config.
 */

export interface FeedbackEntry {
  model: string;
  correct: boolean;
  /** Time of the feedback; only its order matters. */
  at: number;
  /** Labels the decision chose among (default 2): chance is 1/labelCount, not 1/2. */
  labelCount?: number;
}

export interface ModelPrior {
  id: string;
  priorWeight: number;
}

export interface WindowWeight {
  weight: number;
  /** correct / n over the window; null when there is no feedback. */
  recentAccuracy: number | null;
  /** Feedbacks in the window. */
  n: number;
}

export interface RecalibrationOptions {
  /** Pseudo-observations the prior is worth (a). */
  priorStrength?: number;
  /** Upper clip for the weight (never below the model's own prior weight). */
  maxWeight?: number;
}

export const DEFAULT_PRIOR_STRENGTH = 10;
export const DEFAULT_MAX_WEIGHT = 10;

/**
 * The accuracy a prior weight stands for: the inverse of the log-odds weight, so weight 0 is a
 * coin flip and weight 1 is about 73% right.
 */
export function priorAccuracy(priorWeight: number, labelCount = 2): number {
  return 1 / (1 + (Math.max(2, labelCount) - 1) * Math.exp(-priorWeight));
}

/**
 * Per model, over its last `window` feedbacks (n of them, `correct` right; k the mean label count
 * of their decisions, 2 when not given):
 *   p0 = 1 / (1 + (k-1)·e^-priorWeight)            (the accuracy the prior weight stands for)
 *   p  = (correct + a·p0) / (n + a)                (posterior mean under a Beta(a·p0, a·(1-p0)) prior)
 *   weight = clip(ln((k-1)·p / (1 - p)), 0, max(maxWeight, priorWeight))
 * Log-odds of accuracy against chance is the optimal weight for independent voters in a weighted
 * majority (symmetric noise), and a model no better than chance (1/k) gets 0: a model right 40% of
 * the time among 10 labels is far better than chance and keeps a positive weight. With no feedback p = p0, so the weight is exactly the
 * prior weight. Feedback for models not in `models` is ignored; entries are ordered by `at`
 * (stably) in case the caller's order is off.
 */
export function windowWeights(
  feedback: readonly FeedbackEntry[],
  models: readonly ModelPrior[],
  window: number,
  options: RecalibrationOptions = {},
): Record<string, WindowWeight> {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
  const a = options.priorStrength ?? DEFAULT_PRIOR_STRENGTH;
  if (!(a > 0)) throw new RangeError(`priorStrength must be positive, got ${a}`);
  const maxWeight = options.maxWeight ?? DEFAULT_MAX_WEIGHT;

  const byModel = new Map<string, FeedbackEntry[]>();
  for (const m of models) byModel.set(m.id, []);
  const ordered = feedback.map((f, i) => ({ f, i })).sort((x, y) => x.f.at - y.f.at || x.i - y.i);
  for (const { f } of ordered) byModel.get(f.model)?.push(f);

  const out: Record<string, WindowWeight> = {};
  for (const m of models) {
    const recent = (byModel.get(m.id) ?? []).slice(-window);
    const n = recent.length;
    const prior = Math.max(0, m.priorWeight);
    if (n === 0) {
      out[m.id] = { weight: prior, recentAccuracy: null, n: 0 };
      continue;
    }
    const correct = recent.filter((f) => f.correct).length;
    const k = recent.reduce((sum, f) => sum + Math.max(2, f.labelCount ?? 2), 0) / n;
    const p = (correct + a * priorAccuracy(prior, k)) / (n + a);
    const logOdds = Math.log(((k - 1) * p) / (1 - p));
    const weight = Math.min(Math.max(maxWeight, prior), Math.max(0, logOdds));
    out[m.id] = { weight, recentAccuracy: correct / n, n };
  }
  return out;
}

/**
 * Whether an ensemble helps, per task, in one plain sentence: the best single member against the
 * ensemble's best strategy on held-out items, the gain with its paired standard error, and the
 * members whose errors go together (one failure mode: a vote among them adds little). Pure.
 */
import type { Diversity } from '../diversity';

export type TaskName = 'classification' | 'answers' | 'extraction';

export interface SharedFailure {
  a: string;
  b: string;
  /** Phi coefficient of their per-item errors. */
  correlation: number;
  items: number;
}

export interface TaskVerdict {
  task: TaskName;
  /** What the scores are: accuracy, or span F1 per text. */
  metric: string;
  /** Evaluated items with gold. */
  items: number;
  bestMember: { model: string; score: number } | null;
  ensemble: { strategy: string; score: number; callsPerItem: number } | null;
  /** Ensemble minus best member, and the standard error of that difference (paired, per item). */
  gain: number;
  standardError: number;
  /** The ensemble beats its best member by more than MIN_GAIN and two standard errors. */
  helps: boolean;
  suggestion: 'ensemble' | 'single' | 'refine' | 'record';
  sharedFailures: SharedFailure[];
  text: string;
}

/** Smallest gain that pays for the extra calls (the classification recommendation uses the same). */
export const VERDICT_MIN_GAIN = 0.005;
/** Error correlation from which two members are said to share one failure mode. */
export const SHARED_FAILURE_CORRELATION = 0.6;
/** Items both members must have (with gold) before their correlation is trusted. */
export const SHARED_FAILURE_MIN_ITEMS = 5;
/** Share of answers with no quorum above which answers are called open-ended (refinement suits them better). */
export const OPEN_ENDED_NO_AGREEMENT = 0.5;

export function sharedFailures(d: Diversity): SharedFailure[] {
  const out: SharedFailure[] = [];
  for (let i = 0; i < d.models.length; i++) {
    for (let j = i + 1; j < d.models.length; j++) {
      const r = d.errorCorrelation[i]![j];
      const n = d.pairItems[i]![j]!;
      if (r === null || r === undefined || r < SHARED_FAILURE_CORRELATION || n < SHARED_FAILURE_MIN_ITEMS) continue;
      out.push({ a: d.models[i]!, b: d.models[j]!, correlation: r, items: n });
    }
  }
  return out.sort((x, y) => y.correlation - x.correlation);
}

const points = (x: number) => (100 * x).toFixed(1);

/** The figures a verdict is drawn from: the verdict's own, with the members' diversity instead of its reading. */
export type VerdictInput = Pick<TaskVerdict, 'task' | 'metric' | 'items' | 'bestMember' | 'ensemble' | 'gain' | 'standardError'> & {
  diversity: Diversity | null;
  /** Answers only: share of items where no quorum agreed on an answer. */
  noAgreement?: number;
  /** The items were held out from fitting and choosing (false: nothing was held out). */
  heldOut?: boolean;
};

export function verdict(v: VerdictInput): TaskVerdict {
  const shared = v.diversity ? sharedFailures(v.diversity) : [];
  const { task, metric, items, bestMember, ensemble, gain, standardError } = v;
  const base = { task, metric, items, bestMember, ensemble, gain, standardError, sharedFailures: shared };
  const sharedText = shared.length
    ? ` ${shared.map((s) => `${s.a} and ${s.b}`).join('; ')} share one failure mode ` +
      `(error correlation ${shared.map((s) => s.correlation.toFixed(2)).join(', ')}): ` +
      'their votes add little to each other; replace one with a model of another family.'
    : '';
  const pm = `${points(v.gain)} points (± ${points(v.standardError)})`;
  if (v.items === 0 || !v.bestMember || !v.ensemble) {
    const text = `${v.task}: no recorded item with gold to judge on; record a labelled dataset (ensemble record --task ...).`;
    return { ...base, helps: false, suggestion: 'record', text };
  }
  const helps = v.gain > VERDICT_MIN_GAIN && v.gain > 2 * v.standardError;
  const on = `${v.items} ${v.heldOut === false ? 'items, none held out' : 'held-out items'}`;
  const vs = `${v.bestMember.model} ${points(v.bestMember.score)}%`;
  const scores = `${v.ensemble.strategy} ${points(v.ensemble.score)}% vs ${vs} ${v.metric}, ${on}`;
  if (helps) {
    const text = `${v.task}: the ensemble beats its best member by ${pm} (${scores}).${sharedText}`;
    return { ...base, helps, suggestion: 'ensemble', text };
  }
  const why = v.gain <= VERDICT_MIN_GAIN ? 'it does not beat its best member' : 'its gain is within 2 standard errors of none';
  if (v.task === 'answers' && (v.noAgreement ?? 0) > OPEN_ENDED_NO_AGREEMENT) {
    return {
      ...base,
      helps,
      suggestion: 'refine',
      text:
        `answers: the ensemble's vote does not help (${pm}; ${scores}) and the members rarely agree on a normalized answer ` +
        `(no agreement on ${points(v.noAgreement!)}% of the questions): the answers are open-ended; use refinement ` +
        `(ensemble refine: one model drafts, another edits) or ${v.bestMember.model} alone rather than a vote.${sharedText}`,
    };
  }
  const text = `${v.task}: ${why} (${pm}; ${scores}); use ${v.bestMember.model} alone.${sharedText}`;
  return { ...base, helps, suggestion: 'single', text };
}

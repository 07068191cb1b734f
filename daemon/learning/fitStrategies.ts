/**
 * `ensemble fit` for every learned strategy at once, on labelled items only: member reliabilities
 * (learned), the router (one logistic regression per member over the input's hashed features, its
 * threshold chosen on cross-fitted scores), and stacking (a conditional logit whose features include
 * the router's cross-fitted scores, its L2 penalty chosen by 3-fold cross-validation). The result is
 * the StrategyFit the engine runs live and `ensemble eval` replays. Pure and deterministic.
 */
import { logOddsWeight, type RouterFit, type SparseWeights, type StackingFit, type StrategyFit } from '../strategies/fit';
import { nextRouted } from '../strategies/routing';
import {
  MAX_LABEL_FEATURES,
  PAIRS_UP_TO,
  candidatesOf,
  stackingDim,
  stackingFeatures,
  type StackingExtra,
} from '../strategies/stackingFeatures';
import { DEFAULT_FEATURE_BITS, textFeatures, type SparseVector } from '../strategies/textFeatures';
import { weighted } from '../strategies/weighted';
import type { StrategyVote } from '../strategies/types';
import { fitConditionalLogit, scores, type ChoiceSet } from './aggregators/logit';
import { estimateReliability, reliabilityFor } from './aggregators/reliability';
import { labelCount, type Item } from './aggregators/types';
import { dot, fitLogistic, sigmoid, type LogisticOptions } from './router/logistic';
import { mulberry32, shuffle } from './split';
import { own } from '../../common/ownProperty';

export interface FitOptions {
  bits?: number;
  /** Largest calls per item the router's threshold may cost on train (cross-fitted). Default 1.4. */
  routerCallBudget?: number;
  logistic?: LogisticOptions;
  /** Folds of the cross-fitted router scores stacking is trained on (default 3). */
  crossFitFolds?: number;
  /** Skip the stacking model (when only the router or the reliabilities are wanted: it is the slow part). */
  skipStacking?: boolean;
}

export const ROUTER_LOGISTIC: LogisticOptions = { lambda: 1e-4, epochs: 25, learningRate: 0.5 };
const MIN_ROUTER_ITEMS = 20;
const MIN_STACKING_SETS = 10;
const FOLDS = 3;
const LAMBDAS = [1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300];
/** Shrinkage of per-category stacking weights toward the global ones (chosen by the same folds). */
const CATEGORY_LAMBDAS = [30, 100, 300];
/** Categories with fewer choice sets keep the global weights. */
const MIN_CATEGORY_SETS = 30;

const featureCache = new WeakMap<Item, Map<number, SparseVector>>();

/** An item's hashed features (cached per item and size). */
export function itemFeatures(item: Item, bits: number): SparseVector {
  let byBits = featureCache.get(item);
  if (!byBits) featureCache.set(item, (byBits = new Map()));
  let v = byBits.get(bits);
  if (!v) byBits.set(bits, (v = textFeatures(item.text ?? '', item.category, bits)));
  return v;
}

function folds(n: number, seed: number, nFolds = FOLDS): number[] {
  const foldOf = new Array<number>(n);
  shuffle(
    Array.from({ length: n }, (_, i) => i),
    mulberry32(seed),
  ).forEach((i, r) => (foldOf[i] = r % nFolds));
  return foldOf;
}

/** Dense weights to sparse, dropping exact zeros (buckets no train input touched). */
function sparse(w: Float64Array): SparseWeights {
  const index: number[] = [];
  const value: number[] = [];
  w.forEach((v, i) => {
    if (v !== 0) {
      index.push(i);
      value.push(Number(v.toPrecision(6)));
    }
  });
  return { index, value };
}

function fitRouterWeights(items: readonly Item[], nMembers: number, bits: number, opts: LogisticOptions): Float64Array[] {
  return Array.from({ length: nMembers }, (_, m) => {
    const asked = items.filter((it) => it.votes[m] !== undefined);
    return fitLogistic(
      asked.map((it) => itemFeatures(it, bits)),
      asked.map((it) => (it.votes[m] === it.gold ? 1 : 0)),
      2 ** bits,
      opts,
    );
  });
}

/** Router scores for train items from models that never saw them (3 folds). */
export function crossFittedScores(
  items: readonly Item[],
  nMembers: number,
  bits: number,
  opts: LogisticOptions,
  nFolds = FOLDS,
): number[][] {
  const foldOf = folds(items.length, 11, nFolds);
  const out: number[][] = new Array(items.length);
  for (let f = 0; f < nFolds; f++) {
    const w = fitRouterWeights(
      items.filter((_, i) => foldOf[i] !== f),
      nMembers,
      bits,
      opts,
    );
    items.forEach((it, i) => {
      if (foldOf[i] === f) out[i] = w.map((wm) => sigmoid(dot(wm, itemFeatures(it, bits))));
    });
  }
  return out;
}

export function itemVote(item: Item, m: number, member: string): StrategyVote {
  const v = item.votes[m];
  if (v === undefined) return { member, label: null, probabilities: {}, confidence: null, weight: 1, status: 'error' };
  return { member, label: v, probabilities: item.probabilities[m] ?? {}, confidence: item.confidences[m] ?? null, weight: 1, status: 'ok' };
}

/**
 * The routing rule's threshold and fallback: on cross-fitted scores, the most accurate pair whose
 * calls per item stay within the budget (ties: fewer calls). Replays `nextRouted` itself.
 */
export function chooseRouteRule(
  items: readonly Item[],
  members: readonly string[],
  scoresOf: readonly number[][],
  labels: readonly string[],
  budget: number,
): { threshold: number; fallback: number } {
  let best = { threshold: 0, fallback: 1, acc: -1, calls: Infinity };
  for (const fallback of [1, 2]) {
    for (let t = 0; t <= 20; t++) {
      const threshold = t / 20;
      let right = 0;
      let calls = 0;
      items.forEach((it, i) => {
        const s = scoresOf[i]!;
        const ranked = members
          .map((_, m) => m)
          .sort((a, b) => s[b]! - s[a]! || a - b)
          .map((m) => members[m]!);
        const asked: StrategyVote[] = [];
        for (;;) {
          const batch = nextRouted(asked, ranked, (id) => s[members.indexOf(id)]!, labels, { threshold, fallback });
          if (batch.length === 0) break;
          for (const id of batch) {
            const m = members.indexOf(id);
            asked.push({ ...itemVote(it, m, id), weight: logOddsWeight(s[m]!, labels.length) });
          }
        }
        calls += asked.length;
        const byRank = asked.sort((a, b) => ranked.indexOf(a.member) - ranked.indexOf(b.member));
        if (weighted(byRank, labels).label === it.gold) right++;
      });
      const acc = right / Math.max(1, items.length);
      const c = calls / Math.max(1, items.length);
      if (c > budget + 1e-9) continue;
      if (acc > best.acc + 1e-12 || (Math.abs(acc - best.acc) <= 1e-12 && c < best.calls)) best = { threshold, fallback, acc, calls: c };
    }
  }
  return { threshold: best.threshold, fallback: best.fallback };
}

interface StackingData {
  items: readonly Item[];
  routerScores: ReadonlyArray<readonly number[]> | null;
  labelSet: readonly string[] | null;
  extras: readonly StackingExtra[];
}

type CategorySet = ChoiceSet & { category: string };

function choiceSets(data: StackingData, rel: ReturnType<typeof estimateReliability>, k: number): CategorySet[] {
  const out: CategorySet[] = [];
  data.items.forEach((it, i) => {
    if (it.gold === null) return;
    const cands = candidatesOf(it.votes);
    const y = cands.indexOf(it.gold);
    if (cands.length < 2 || y < 0) return;
    const x = stackingFeatures(
      {
        votes: it.votes,
        categoryReliability: reliabilityFor(rel, it),
        globalReliability: rel.global,
        labelCount: k,
        routerScores: data.routerScores?.[i] ?? null,
        labelSet: data.labelSet,
        extras: data.extras,
      },
      cands,
    );
    out.push({ x, y, category: it.category ?? '' });
  });
  return out;
}

/** Per category with enough sets: weights refitted there, shrunk toward the global ones. */
function categoryWeights(sets: readonly CategorySet[], dim: number, lambda: number, global: readonly number[]): Record<string, number[]> {
  const byCat = new Map<string, CategorySet[]>();
  for (const cs of sets) byCat.set(cs.category, [...(byCat.get(cs.category) ?? []), cs]);
  const out: Record<string, number[]> = {};
  for (const [c, g] of byCat) if (c !== '' && g.length >= MIN_CATEGORY_SETS) out[c] = fitConditionalLogit(g, dim, lambda, 30, global);
  return out;
}

function predictLoss(sets: readonly CategorySet[], global: readonly number[], byCategory: Record<string, number[]>): number {
  return sets.reduce((a, cs) => a + logLoss(own(byCategory, cs.category) ?? global, cs), 0);
}

function logLoss(w: readonly number[], cs: ChoiceSet): number {
  const s = scores(w, cs.x);
  const mx = Math.max(...s);
  return mx + Math.log(s.reduce((a, v) => a + Math.exp(v - mx), 0)) - s[cs.y]!;
}

function fitStackingModel(data: StackingData, nMembers: number, k: number): StackingFit | null {
  const withRouter = data.routerScores !== null;
  const dim = stackingDim(nMembers, withRouter, data.labelSet, data.extras);
  const all = choiceSets(data, estimateReliability(data.items, nMembers), k);
  if (all.length < MIN_STACKING_SETS) return null;
  // The L2 penalty, then the per-category shrinkage, by 3-fold cross-validation (held-out log-loss; ties -> stronger).
  let lambda = 30;
  let categoryLambda: number | null = null;
  if (data.items.length >= 30) {
    const foldOf = folds(data.items.length, 7);
    const score = LAMBDAS.map(() => 0);
    const catScore = CATEGORY_LAMBDAS.map(() => 0);
    const foldSets = Array.from({ length: FOLDS }, (_, f) => {
      const pick = (keep: (i: number) => boolean): StackingData => ({
        items: data.items.filter((_, i) => keep(i)),
        routerScores: data.routerScores ? data.routerScores.filter((_, i) => keep(i)) : null,
        labelSet: data.labelSet,
        extras: data.extras,
      });
      const tr = pick((i) => foldOf[i] !== f);
      const va = pick((i) => foldOf[i] === f);
      const rel = estimateReliability(tr.items, nMembers);
      return { tr: choiceSets(tr, rel, k), va: choiceSets(va, rel, k) };
    });
    for (const { tr, va } of foldSets) {
      LAMBDAS.forEach((l, li) => {
        const w = fitConditionalLogit(tr, dim, l);
        for (const cs of va) score[li]! -= logLoss(w, cs);
      });
    }
    let best = LAMBDAS.length - 1;
    for (let li = LAMBDAS.length - 1; li >= 0; li--) if (score[li]! > score[best]!) best = li;
    lambda = LAMBDAS[best]!;
    // Per-category weights only when they beat the global ones on held-out folds.
    let globalLoss = 0;
    for (const { tr, va } of foldSets) {
      const w = fitConditionalLogit(tr, dim, lambda);
      globalLoss += predictLoss(va, w, {});
      CATEGORY_LAMBDAS.forEach((lc, ci) => {
        catScore[ci]! += predictLoss(va, w, categoryWeights(tr, dim, lc, w));
      });
    }
    let bestCat = CATEGORY_LAMBDAS.length - 1;
    for (let ci = CATEGORY_LAMBDAS.length - 1; ci >= 0; ci--) if (catScore[ci]! < catScore[bestCat]!) bestCat = ci;
    if (catScore[bestCat]! < globalLoss) categoryLambda = CATEGORY_LAMBDAS[bestCat]!;
  }
  const weights = fitConditionalLogit(all, dim, lambda);
  return {
    lambda,
    weights,
    usesRouter: withRouter,
    ...(data.labelSet ? { labels: [...data.labelSet] } : {}),
    ...(data.extras.length > 0 ? { extras: [...data.extras] } : {}),
    ...(categoryLambda !== null ? { byCategory: categoryWeights(all, dim, categoryLambda, weights) } : {}),
  };
}

/** Fits every learned strategy on `train` (items with gold only are used). */
export function fitStrategies(
  trainItems: readonly Item[],
  members: readonly string[],
  labels: readonly string[],
  opts: FitOptions = {},
): StrategyFit {
  const train = trainItems.filter((it) => it.gold !== null);
  const bits = opts.bits ?? DEFAULT_FEATURE_BITS;
  const logistic = opts.logistic ?? ROUTER_LOGISTIC;
  const rel = estimateReliability(train, members.length);
  const k = Math.max(labels.length, labelCount(train));
  const withText = train.filter((it) => (it.text ?? '').length > 0 || it.category !== null);
  let router: RouterFit | null = null;
  let crossFitted: number[][] | null = null;
  if (withText.length >= MIN_ROUTER_ITEMS && withText.length === train.length) {
    crossFitted = crossFittedScores(train, members.length, bits, logistic, opts.crossFitFolds ?? FOLDS);
    const rule = chooseRouteRule(train, members, crossFitted, labels, opts.routerCallBudget ?? 1.4);
    router = { bits, weights: fitRouterWeights(train, members.length, bits, logistic).map(sparse), ...rule };
  }
  return {
    members: [...members],
    labelCount: k,
    global: rel.global,
    byCategory: Object.fromEntries(rel.byCategory),
    stacking: opts.skipStacking
      ? null
      : fitStackingModel(
          {
            items: train,
            routerScores: crossFitted,
            labelSet: labels.length <= MAX_LABEL_FEATURES && members.length <= PAIRS_UP_TO ? labels : null,
            extras: crossFitted ? ['routerChoice'] : [],
          },
          members.length,
          k,
        ),
    router,
  };
}

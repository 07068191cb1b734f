/**
 * Stacking: a learned meta-classifier over the vote pattern. Options A-J are not classes (an "A"
 * on one question has nothing to do with an "A" on another), so the model never sees a label: it
 * scores each candidate answer (the labels somebody voted for) from label-agnostic features of who
 * voted for it, and takes a softmax across the candidates (a conditional logit, see logit.ts).
 *
 * Features of candidate c on item i (M members; r = train reliability, per category shrunk):
 *   - for each member m: voted(m, c)                               who supports c
 *   - for each member m: voted(m, c) * (logit r[m, cat] - logit r[m])  per-category expertise
 *   - for each pair m < n (M <= 6): voted(m, c) * voted(n, c)      which coalitions are trustworthy
 *   - for each member m: voted(m, c) * (members that abstained or were absent)
 *   - votes for c / M, and c is the plurality answer (ties -> earliest member)
 *   - c is the per-category weighted-vote answer
 * The L2 penalty is chosen by 3-fold cross-validation on train (held-out log-loss; ties -> stronger).
 */
import { fitConditionalLogit, scores, type ChoiceSet } from './logit';
import { estimateReliability, reliabilityFor, type Reliability } from './reliability';
import { type Aggregator, type Item, type Predictor, callsOf, candidates, labelCount, logOddsWeight, plurality } from './types';
import { mulberry32, shuffle } from '../split';

const logit = (p: number) => Math.log(p / (1 - p));
const PAIRS_UP_TO = 6;

interface FeatureSpace {
  rel: Reliability;
  k: number;
  nModels: number;
  dim: number;
}

function space(train: readonly Item[], nModels: number): FeatureSpace {
  const pairs = nModels <= PAIRS_UP_TO ? (nModels * (nModels - 1)) / 2 : 0;
  return { rel: estimateReliability(train, nModels), k: labelCount(train), nModels, dim: 3 * nModels + pairs + 3 };
}

function features(fs: FeatureSpace, item: Item, cands: readonly string[]): number[][] {
  const M = fs.nModels;
  const rc = reliabilityFor(fs.rel, item);
  const silent = item.votes.filter((v) => v === null || v === undefined).length;
  const maj = plurality(item.votes);
  const weighted = plurality(item.votes, rc.map((p) => logOddsWeight(p, fs.k)));
  return cands.map((c) => {
    const a: number[] = item.votes.map((v) => (v === c ? 1 : 0));
    const x: number[] = [];
    for (let m = 0; m < M; m++) x.push(a[m]!);
    for (let m = 0; m < M; m++) x.push(a[m]! * (logit(rc[m]!) - logit(fs.rel.global[m]!)));
    if (M <= PAIRS_UP_TO) for (let m = 0; m < M; m++) for (let n = m + 1; n < M; n++) x.push(a[m]! * a[n]!);
    for (let m = 0; m < M; m++) x.push(a[m]! * silent);
    x.push(a.reduce((s, v) => s + v, 0) / M, c === maj ? 1 : 0, c === weighted ? 1 : 0);
    return x;
  });
}

function choiceSets(fs: FeatureSpace, items: readonly Item[]): ChoiceSet[] {
  const out: ChoiceSet[] = [];
  for (const it of items) {
    if (it.gold === null) continue;
    const cands = candidates(it);
    const y = cands.indexOf(it.gold);
    if (cands.length < 2 || y < 0) continue;
    out.push({ x: features(fs, it, cands), y });
  }
  return out;
}

function logLoss(w: readonly number[], cs: ChoiceSet): number {
  const s = scores(w, cs.x);
  const mx = Math.max(...s);
  return mx + Math.log(s.reduce((a, v) => a + Math.exp(v - mx), 0)) - s[cs.y]!;
}

function predictWith(fs: FeatureSpace, w: readonly number[], item: Item): string | null {
  const cands = candidates(item);
  if (cands.length <= 1) return cands[0] ?? null;
  const s = scores(w, features(fs, item, cands));
  let best = 0;
  for (let k = 1; k < s.length; k++) if (s[k]! > s[best]! + 1e-12) best = k;
  return cands[best]!;
}

export const LAMBDAS = [0.3, 1, 3, 10, 30, 100, 300];

/** Chooses the L2 penalty by k-fold CV on train (seeded, deterministic). */
export function chooseLambda(train: readonly Item[], nModels: number, folds = 3, seed = 7): number {
  const labelled = train.filter((it) => it.gold !== null);
  if (labelled.length < 30) return 10;
  const order = shuffle(labelled.map((_, i) => i), mulberry32(seed));
  const foldOf = new Array<number>(labelled.length);
  order.forEach((i, r) => (foldOf[i] = r % folds));
  const score = new Array(LAMBDAS.length).fill(0); // minus validation log-loss
  for (let f = 0; f < folds; f++) {
    const tr = labelled.filter((_, i) => foldOf[i] !== f);
    const va = labelled.filter((_, i) => foldOf[i] === f);
    const fs = space(tr, nModels);
    const sets = choiceSets(fs, tr);
    const vaSets = choiceSets(fs, va);
    LAMBDAS.forEach((lambda, li) => {
      const w = fitConditionalLogit(sets, fs.dim, lambda);
      for (const cs of vaSets) score[li] -= logLoss(w, cs);
    });
  }
  let best = LAMBDAS.length - 1;
  for (let li = LAMBDAS.length - 1; li >= 0; li--) if (score[li] > score[best]) best = li;
  return LAMBDAS[best]!;
}

export interface StackingModel extends Predictor {
  weights: number[];
  lambda: number;
}

export function fitStacking(train: readonly Item[], nModels: number, lambda?: number): StackingModel {
  const lam = lambda ?? chooseLambda(train, nModels);
  const fs = space(train, nModels);
  const w = fitConditionalLogit(choiceSets(fs, train), fs.dim, lam);
  return {
    weights: w,
    lambda: lam,
    predict: (item) => ({ answer: predictWith(fs, w, item), calls: callsOf(item) }),
  };
}

export const stacking: Aggregator = {
  name: 'stacking',
  description: 'conditional logit over who voted for each candidate (label-agnostic), L2 by 3-fold CV',
  learned: true,
  fit: (train, ctx) => fitStacking(train, ctx.models.length),
};

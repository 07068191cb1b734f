/**
 * `evaluate`: fits every aggregation strategy on a seeded train split and reports, on the held-out
 * split, each member's and each strategy's accuracy and calls per item, the oracle, error
 * correlation and disagreement, calibration when confidences were recorded, and a recommendation.
 * With trainFraction 0 nothing is fitted: every item is evaluated with the fixed strategies only.
 * Pure: recordings in, a JSON-able report out.
 */
import { AGGREGATORS, FIXED_AGGREGATORS } from './aggregators/index';
import { buildTable, type Item, type VoteTable } from './aggregators/types';
import { calibrateMembers, type CalibrationReport } from './calibration';
import { diversity, type Diversity } from './diversity';
import type { Recording } from './recordings';
import { trainTestSplit } from './split';

export interface EvalOptions {
  /** Members, in tie-break order; default: every model in the recordings, first-seen order. */
  models?: string[];
  /** Share of items used to fit, in [0, 1). Default 0.5. */
  trainFraction?: number;
  /** Default 42. */
  seed?: number;
  /** Split each category with the same fraction (default true). */
  stratify?: boolean;
  /** Items left out entirely. */
  excludeIds?: ReadonlySet<string>;
  /** Run only these strategies (names as in the report); default all. */
  strategies?: string[];
}

export interface ModelResult {
  model: string;
  /** Correct / evaluated items with gold where this member has a record (abstention = wrong). */
  accuracy: number;
  /** Items behind `accuracy`. */
  n: number;
  /** Share of those items where it named no label. */
  abstained: number;
}

export interface StrategyResult {
  name: string;
  description: string;
  learned: boolean;
  accuracy: number;
  callsPerItem: number;
  n: number;
  /** Accuracy minus majority's on the same items (null when majority was not run). */
  vsMajority: number | null;
  /** What the fit learned, for the curious (JSON-able). */
  details?: Record<string, unknown>;
}

export interface EvalReport {
  version: 1;
  models: string[];
  items: number;
  excluded: number;
  trainFraction: number;
  seed: number;
  stratified: boolean;
  split: { train: number; test: number; evaluatedOn: 'held-out' | 'all items' };
  /** Evaluated items that have a gold label. */
  withGold: number;
  perModel: ModelResult[];
  strategies: StrategyResult[];
  oracle: { accuracy: number; callsPerItem: number } | null;
  diversity: Diversity;
  calibration: CalibrationReport | null;
  recommendation: Recommendation;
}

export interface Recommendation {
  kind: 'single' | 'ensemble';
  members: string[];
  /** The strategy to run (null for a single model). */
  strategy: string | null;
  expectedAccuracy: number;
  callsPerItem: number;
  /** Accuracy gain over the best single member, and its standard error (paired, per item). */
  gainOverBestSingle: number;
  gainStandardError: number;
  text: string;
}

/** Smallest gain worth several calls per item, and the tolerance within which cheaper wins. */
export const MIN_GAIN = 0.005;
const SAME_ACCURACY = 0.002;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function recommend(perModel: ModelResult[], strategies: StrategyResult[], evalItems: Item[], hits: Map<string, boolean[]>, models: string[], fitted: boolean): Recommendation {
  let single = 0;
  perModel.forEach((r, m) => {
    if (r.accuracy > perModel[single]!.accuracy) single = m;
  });
  const best1 = perModel[single]!;
  const options = strategies.filter((s) => s.name !== 'oracle');
  const top = Math.max(-1, ...options.map((s) => s.accuracy));
  const pick = options.filter((s) => s.accuracy >= top - SAME_ACCURACY).sort((a, b) => a.callsPerItem - b.callsPerItem || b.accuracy - a.accuracy)[0];
  const singleText = (why: string): Recommendation => ({
    kind: 'single',
    members: [best1.model],
    strategy: null,
    expectedAccuracy: best1.accuracy,
    callsPerItem: 1,
    gainOverBestSingle: 0,
    gainStandardError: 0,
    text: `Use ${best1.model} alone: ${pct(best1.accuracy)} accuracy at 1 call per item. ${why}`,
  });
  if (!pick) return singleText('No ensemble strategy was evaluated.');
  // Standard error of the per-item paired difference against the best single member.
  const seVsSingle = (name: string) => {
    const h = hits.get(name)!;
    const d = evalItems.map((it, i) => (h[i] ? 1 : 0) - (it.votes[single] === it.gold ? 1 : 0));
    const n = Math.max(1, d.length);
    const mean = d.reduce((a, b) => a + b, 0) / n;
    return Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1) / n);
  };
  const se = seVsSingle(pick.name);
  const significant = (s: StrategyResult, e: number) => s.accuracy - best1.accuracy > Math.max(MIN_GAIN, 2 * e);
  const gain = pick.accuracy - best1.accuracy;
  const where = fitted ? 'on the held-out split' : 'on every item (nothing fitted: --train-fraction 0)';
  if (gain <= MIN_GAIN || gain <= 2 * se) {
    const why = gain <= MIN_GAIN ? 'too little to pay for the extra calls' : `within 2 standard errors of no gain on ${evalItems.length} items: record more items before paying for the extra calls`;
    const r = singleText(`The best ensemble strategy (${pick.name}, ${pct(pick.accuracy)} at ${pick.callsPerItem.toFixed(2)} calls per item) gains ${(100 * gain).toFixed(1)} points ${where} (standard error ${(100 * se).toFixed(1)}): ${why}.`);
    return { ...r, gainOverBestSingle: gain, gainStandardError: se };
  }
  const routed = pick.details?.routes as Record<string, { first: number; fallback: number | null }> | undefined;
  const used = routed ? [...new Set(Object.values(routed).flatMap((r) => [r.first, ...(r.fallback === null ? [] : [r.fallback])]))].sort() : models.map((_, m) => m);
  const members = used.map((m) => models[m]!);
  // A much cheaper strategy that also clearly beats the best single member is worth a mention.
  const cheap = options
    .filter((s) => s.callsPerItem < 0.6 * pick.callsPerItem && significant(s, seVsSingle(s.name)))
    .sort((a, b) => b.accuracy - a.accuracy)[0];
  const cheaper = cheap ? ` Cheaper: ${cheap.name} reaches ${pct(cheap.accuracy)} at ${cheap.callsPerItem.toFixed(2)} calls per item.` : '';
  return {
    kind: 'ensemble',
    members,
    strategy: pick.name,
    expectedAccuracy: pick.accuracy,
    callsPerItem: pick.callsPerItem,
    gainOverBestSingle: gain,
    gainStandardError: se,
    text:
      `Use the ensemble ${members.join(' + ')} with ${pick.name}: ${pct(pick.accuracy)} accuracy ${where}, ` +
      `+${(100 * gain).toFixed(1)} points (standard error ${(100 * se).toFixed(1)}) over the best single member ${best1.model} (${pct(best1.accuracy)}), ` +
      `at ${pick.callsPerItem.toFixed(2)} calls per item instead of 1.${cheaper}`,
  };
}

export function evaluate(recordings: readonly Recording[], opts: EvalOptions = {}): EvalReport {
  return evaluateTable(buildTable(recordings, opts.models), opts);
}

function detailsOf(predictor: object): Record<string, unknown> | undefined {
  const p = predictor as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ['reliability', 'lambda', 'weights']) if (p[k] !== undefined) out[k] = p[k];
  if (p.routes instanceof Map) out.routes = Object.fromEntries(p.routes);
  if (p.fallbackRoute !== undefined) out.fallbackRoute = p.fallbackRoute;
  return Object.keys(out).length > 0 ? out : undefined;
}

export function evaluateTable(table: VoteTable, opts: EvalOptions = {}): EvalReport {
  const trainFraction = opts.trainFraction ?? 0.5;
  const seed = opts.seed ?? 42;
  const stratified = opts.stratify ?? true;
  if (!(trainFraction >= 0 && trainFraction < 1)) throw new RangeError(`trainFraction must be in [0, 1): got ${trainFraction} (1 would leave nothing to evaluate on)`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const { models } = table;
  if (models.length === 0) throw new RangeError('no models to evaluate');
  const excl = opts.excludeIds ?? new Set<string>();
  // Sorted by id: results do not depend on the order recordings were loaded in.
  const all = table.items.filter((it) => !excl.has(it.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (all.length === 0) throw new RangeError('no items left to evaluate');
  const fitting = trainFraction > 0;
  const { train, test } = fitting
    ? trainTestSplit(all, { trainFraction, seed, id: (x) => x.id, stratum: stratified ? (x) => x.category ?? '' : undefined })
    : { train: [] as Item[], test: all };
  if (test.length === 0) throw new RangeError('the held-out split is empty: lower the train fraction or add items');
  const labelledTrain = train.filter((it) => it.gold !== null);
  if (fitting && labelledTrain.length === 0) throw new RangeError('no train item has a gold label: learned strategies cannot be fitted (use --train-fraction 0)');

  const cal = calibrateMembers(models, labelledTrain, test, fitting);
  const calTrain = cal.apply(train);
  const calTest = cal.apply(test);
  const evalItems = calTest.filter((it) => it.gold !== null);

  const perModel: ModelResult[] = models.map((model, m) => {
    let n = 0;
    let right = 0;
    let blank = 0;
    for (const it of evalItems) {
      const v = it.votes[m];
      if (v === undefined) continue;
      n++;
      if (v === null) blank++;
      else if (v === it.gold) right++;
    }
    return { model, accuracy: n ? right / n : 0, n, abstained: n ? blank / n : 0 };
  });

  const pool = fitting ? AGGREGATORS : FIXED_AGGREGATORS;
  const chosen = opts.strategies ? pool.filter((a) => opts.strategies!.includes(a.name)) : pool;
  const ctx = { models, unlabeled: cal.apply(all) };
  const correctness = new Map<string, boolean[]>();
  const strategies: StrategyResult[] = chosen.map((agg) => {
    const predictor = agg.fit(calTrain.filter((it) => it.gold !== null), ctx);
    let right = 0;
    let calls = 0;
    const hits: boolean[] = [];
    for (const it of evalItems) {
      const p = predictor.predict(it);
      const hit = p.answer === it.gold;
      hits.push(hit);
      if (hit) right++;
      calls += p.calls;
    }
    correctness.set(agg.name, hits);
    const n = evalItems.length;
    const res: StrategyResult = { name: agg.name, description: agg.description, learned: agg.learned, accuracy: n ? right / n : 0, callsPerItem: n ? calls / n : 0, n, vsMajority: null };
    const details = detailsOf(predictor);
    if (details) res.details = details;
    return res;
  });
  const maj = strategies.find((s) => s.name === 'majority');
  for (const s of strategies) s.vsMajority = maj ? s.accuracy - maj.accuracy : null;
  const orc = strategies.find((s) => s.name === 'oracle');

  return {
    version: 1,
    models: [...models],
    items: all.length,
    excluded: table.items.length - all.length,
    trainFraction,
    seed,
    stratified,
    split: { train: train.length, test: test.length, evaluatedOn: fitting ? 'held-out' : 'all items' },
    withGold: evalItems.length,
    perModel,
    strategies,
    oracle: orc ? { accuracy: orc.accuracy, callsPerItem: orc.callsPerItem } : null,
    diversity: diversity(evalItems, models),
    calibration: cal.report,
    recommendation: recommend(perModel, strategies, evalItems, correctness, models, fitting),
  };
}

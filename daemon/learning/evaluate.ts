/**
 * `evaluate`: replays every strategy the daemon runs (the one engine, strategies/engine.ts) over
 * recorded votes, with the same asking rule, so accuracy and calls per item are what the daemon
 * would do. Learned strategies are fitted (`fitStrategies`, what `ensemble fit` stores) on the train
 * split only; the recommendation is chosen on a validation split inside train, and every figure
 * reported is measured on the held-out split. Research-only estimators (Dawid-Skene, the oracle)
 * are reported for comparison and never recommended. With trainFraction 0 nothing is fitted: every
 * item is evaluated with the fixed strategies only. Pure: recordings in, a JSON-able report out.
 */
import type { StrategyName } from '../../protocol/ensemble';
import { planFor, replayPlan } from '../strategies/engine';
import type { StrategyFit } from '../strategies/fit';
import type { StrategyVote } from '../strategies/index';
import { windowWeights } from '../strategies/recalibration';
import { RESEARCH_AGGREGATORS } from './aggregators/index';
import { buildTable, type Item, type VoteTable } from './aggregators/types';
import { fitStrategies, itemFeatures, itemVote } from './fitStrategies';
import { calibrateMembers, type CalibrationReport } from './calibration';
import { diversity, type Diversity } from './diversity';
import type { Recording } from './recordings';
import { trainTestSplit } from './split';
import { pairedStandardError } from './tasks/spanScore';

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
  /** Share of the train split held back to choose the strategy (default 0.3). */
  validationFraction?: number;
  /** Early-exit settings replayed (default as in the config: agreeK 2, threshold 0.6). */
  earlyExit?: { agreeK: number; threshold: number };
  /** Ensemble name used in the config snippet (default "default"). */
  ensembleName?: string;
  /**
   * Whether the daemon would give the voted label at all (answers: only when a quorum backs it,
   * else "no agreement", which counts as wrong). Default: every voted label is given.
   */
  accept?: (item: Item, label: string, votes: readonly StrategyVote[]) => boolean;
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
  /** Not a strategy the daemon runs (it reads gold, or needs every item at once): never recommended. */
  researchOnly: boolean;
  /** Batches asked one after another, per item (latency is about this many times the slowest member). */
  roundsPerItem: number;
  /** On the validation split inside train (what the recommendation is chosen on); null without fitting. */
  validation: { accuracy: number; callsPerItem: number } | null;
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
  /** The ensemble strategy the gain is of (chosen as below), even when a single model is recommended. */
  bestStrategy: { name: string; accuracy: number; callsPerItem: number } | null;
  text: string;
  /** The config.json fragment to paste (or `ensemble eval --apply` writes it). */
  config: { ensembles: Record<string, { members: string[]; strategy: StrategyName }> };
  /** Fitted strategies need `ensemble fit` on the daemon's own recordings after the config changes. */
  needsFit: boolean;
}

/** Smallest gain worth several calls per item, and the tolerance within which cheaper wins. */
export const MIN_GAIN = 0.005;
const SAME_ACCURACY = 0.002;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export const ENGINE_STRATEGIES: readonly StrategyName[] = ['majority', 'weighted', 'earlyExit', 'learned', 'stacking', 'routed'];
const FIXED_STRATEGIES: readonly StrategyName[] = ['majority', 'weighted', 'earlyExit'];
const FITTED: ReadonlySet<string> = new Set(['learned', 'stacking', 'routed']);

const DESCRIPTIONS: Record<StrategyName, string> = {
  majority: 'plurality vote; blanks abstain; ties -> earliest-listed member',
  weighted: "vote weighted by each member's feedback weight (log-odds of its recent accuracy on train), as the daemon does",
  earlyExit: 'speculative majority: first agreeK members at once, then the fewest that could settle it, until the rest cannot change it',
  learned: 'vote weighted by log-odds of per-category train accuracy, shrunk to the global one (ensemble fit)',
  stacking:
    "conditional logit over who voted for each candidate, with per-category features and the router's scores and pick (ensemble fit)",
  routed: 'router over the input text asks the members most likely right; more only when it is unsure (ensemble fit)',
};

interface Run {
  hits: boolean[];
  calls: number;
  rounds: number;
}

/** The table-wide label set: every label voted or gold, sorted. */
function labelSet(items: readonly Item[]): string[] {
  const s = new Set<string>();
  for (const it of items) {
    if (it.gold !== null) s.add(it.gold);
    for (const v of it.votes) if (v !== null && v !== undefined) s.add(v);
  }
  return [...s].sort();
}

/** Feedback weights as the daemon computes them, from the train items in id order. */
function feedbackWeights(train: readonly Item[], models: readonly string[], labelCount: number): number[] {
  const entries = train.flatMap((it, at) =>
    it.gold === null
      ? []
      : models.flatMap((model, m) =>
          it.votes[m] === null || it.votes[m] === undefined ? [] : [{ model, correct: it.votes[m] === it.gold, at, labelCount }],
        ),
  );
  const w = windowWeights(
    entries,
    models.map((id) => ({ id, priorWeight: 1 })),
    200,
  );
  return models.map((m) => w[m]?.weight ?? 1);
}

function replayAll(
  name: StrategyName,
  items: readonly Item[],
  models: readonly string[],
  labels: readonly string[],
  fit: StrategyFit | null,
  weights: readonly number[],
  earlyExit: { agreeK: number; threshold: number },
  accept?: EvalOptions['accept'],
): Run | null {
  if (FITTED.has(name) && (!fit || (name === 'stacking' && !fit.stacking) || (name === 'routed' && !fit.router))) return null;
  const bits = fit?.router?.bits ?? null;
  const hits: boolean[] = [];
  let calls = 0;
  let rounds = 0;
  const members = models.map((member, m) => ({ member, weight: weights[m] ?? 1 }));
  for (const it of items) {
    const plan = planFor(name, {
      labels,
      members,
      earlyExit,
      fit,
      category: it.category,
      features: bits !== null ? itemFeatures(it, bits) : null,
    });
    const r = replayPlan(plan, models, (member) => itemVote(it, models.indexOf(member), member));
    const label = r.outcome.label;
    hits.push(label !== null && label === it.gold && (!accept || accept(it, label, r.votes)));
    // A member with no record for the item was never asked: it costs no call.
    calls += r.votes.filter((v, m) => v.status !== 'skipped' && it.votes[m] !== undefined).length;
    rounds += r.rounds;
  }
  return { hits, calls, rounds };
}

const mean = (xs: readonly boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : 0);

function pairedSe(a: readonly boolean[], b: readonly boolean[]): number {
  return pairedStandardError(
    a.map(Number),
    a.map((_, i) => Number(b[i] ?? false)),
  );
}

interface Choice {
  name: string;
  accuracy: number;
  calls: number;
}

/** The cheapest option within SAME_ACCURACY of the most accurate one. */
function cheapestBest(options: readonly Choice[]): Choice | undefined {
  const top = Math.max(-1, ...options.map((o) => o.accuracy));
  return options.filter((o) => o.accuracy >= top - SAME_ACCURACY).sort((a, b) => a.calls - b.calls || b.accuracy - a.accuracy)[0];
}

function recommend(args: {
  perModel: ModelResult[];
  strategies: StrategyResult[];
  heldHits: Map<string, boolean[]>;
  singleHits: boolean[][];
  models: string[];
  fitted: boolean;
  ensembleName: string;
}): Recommendation {
  const { perModel, strategies, heldHits, singleHits, models, fitted, ensembleName } = args;
  // Chosen on validation when something was fitted, else (nothing to choose on) on the evaluated items.
  const scoreOf = (s: StrategyResult) =>
    s.validation ? { accuracy: s.validation.accuracy, calls: s.validation.callsPerItem } : { accuracy: s.accuracy, calls: s.callsPerItem };
  const runnable = strategies.filter((s) => !s.researchOnly);
  let single = 0;
  perModel.forEach((r, m) => {
    if (r.accuracy > perModel[single]!.accuracy) single = m;
  });
  const best1 = perModel[single]!;
  const pick = cheapestBest(runnable.map((s) => ({ name: s.name, ...scoreOf(s) })));
  const where = fitted ? 'on the held-out split' : 'on every item (nothing fitted: --train-fraction 0)';
  const snippet = (members: string[], strategy: StrategyName) => ({ ensembles: { [ensembleName]: { members, strategy } } });
  const singleRec = (why: string, gain = 0, se = 0): Recommendation => ({
    kind: 'single',
    members: [best1.model],
    strategy: null,
    expectedAccuracy: best1.accuracy,
    callsPerItem: 1,
    gainOverBestSingle: gain,
    gainStandardError: se,
    bestStrategy: null,
    text: `Use ${best1.model} alone: ${pct(best1.accuracy)} accuracy at 1 call per item. ${why}`,
    config: snippet([best1.model], 'majority'),
    needsFit: false,
  });
  if (!pick) return singleRec('No ensemble strategy was evaluated.');
  const chosen = strategies.find((s) => s.name === pick.name)!;
  const gain = chosen.accuracy - best1.accuracy;
  const se = pairedSe(heldHits.get(chosen.name)!, singleHits[single]!);
  const bestStrategy = { name: chosen.name, accuracy: chosen.accuracy, callsPerItem: chosen.callsPerItem };
  if (gain <= MIN_GAIN || gain <= 2 * se) {
    const why =
      gain < 0
        ? 'the ensemble does worse than its best member'
        : gain <= MIN_GAIN
          ? 'too little to pay for the extra calls'
          : `within 2 standard errors of no gain: record more items before paying for the extra calls`;
    const moved = gain < 0 ? `loses ${(-100 * gain).toFixed(1)} points` : `gains ${(100 * gain).toFixed(1)} points`;
    return {
      ...singleRec(
        `The best strategy (${chosen.name}, ${pct(chosen.accuracy)} at ${chosen.callsPerItem.toFixed(2)} calls per item ${where}) ${moved} (standard error ${(100 * se).toFixed(1)}): ${why}.`,
        gain,
        se,
      ),
      bestStrategy,
    };
  }
  const needsFit = FITTED.has(chosen.name);
  return {
    kind: 'ensemble',
    members: [...models],
    strategy: chosen.name,
    expectedAccuracy: chosen.accuracy,
    callsPerItem: chosen.callsPerItem,
    gainOverBestSingle: gain,
    gainStandardError: se,
    bestStrategy,
    text:
      `Use the ensemble ${models.join(' + ')} with ${chosen.name}${fitted ? ' (chosen on a validation split inside train)' : ''}: ${pct(chosen.accuracy)} accuracy ${where}, ` +
      `+${(100 * gain).toFixed(1)} points (standard error ${(100 * se).toFixed(1)}) over the best single member ${best1.model} (${pct(best1.accuracy)}), ` +
      `at ${chosen.callsPerItem.toFixed(2)} calls per item.${needsFit ? ' Then run "ensemble fit" so the daemon has the fitted parameters.' : ''}`,
    config: snippet([...models], chosen.name as StrategyName),
    needsFit,
  };
}

export function evaluate(recordings: readonly Recording[], opts: EvalOptions = {}): EvalReport {
  return evaluateTable(buildTable(recordings, opts.models), opts);
}

export function evaluateTable(table: VoteTable, opts: EvalOptions = {}): EvalReport {
  const trainFraction = opts.trainFraction ?? 0.5;
  const seed = opts.seed ?? 42;
  const stratified = opts.stratify ?? true;
  const validationFraction = opts.validationFraction ?? 0.3;
  const earlyExit = opts.earlyExit ?? { agreeK: 2, threshold: 0.6 };
  if (!(trainFraction >= 0 && trainFraction < 1))
    throw new RangeError(`trainFraction must be in [0, 1): got ${trainFraction} (1 would leave nothing to evaluate on)`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!(validationFraction > 0 && validationFraction < 1))
    throw new RangeError(`validationFraction must be in (0, 1), got ${validationFraction}`);
  const { models } = table;
  if (models.length === 0) throw new RangeError('no models to evaluate');
  const excl = opts.excludeIds ?? new Set<string>();
  // Sorted by id: results do not depend on the order recordings were loaded in.
  const all = table.items.filter((it) => !excl.has(it.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (all.length === 0) throw new RangeError('no items left to evaluate');
  const fitting = trainFraction > 0;
  const stratum = stratified ? (x: Item) => x.category ?? '' : undefined;
  const { train, test } = fitting
    ? trainTestSplit(all, { trainFraction, seed, id: (x) => x.id, stratum })
    : { train: [] as Item[], test: all };
  if (test.length === 0) throw new RangeError('the held-out split is empty: lower the train fraction or add items');
  const labelledTrain = train.filter((it) => it.gold !== null);
  if (fitting && labelledTrain.length === 0)
    throw new RangeError('no train item has a gold label: learned strategies cannot be fitted (use --train-fraction 0)');

  const cal = calibrateMembers(models, labelledTrain, test, fitting);
  const calTrain = cal.apply(labelledTrain);
  const calTest = cal.apply(test);
  const evalItems = calTest.filter((it) => it.gold !== null);
  const labels = labelSet(all);

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
  const singleHits = models.map((_, m) => evalItems.map((it) => it.votes[m] === it.gold));

  const wanted = (name: string) => !opts.strategies || opts.strategies.includes(name);
  const names = (fitting ? ENGINE_STRATEGIES : FIXED_STRATEGIES).filter(wanted);
  const needFit = names.some((n) => FITTED.has(n));
  const fitOptions = { skipStacking: !names.includes('stacking') };

  // Validation inside train: fit on the rest of train, score every strategy, choose there.
  const validation = new Map<string, { accuracy: number; callsPerItem: number }>();
  if (fitting) {
    const inner = trainTestSplit(calTrain, { trainFraction: 1 - validationFraction, seed: seed + 1, id: (x) => x.id, stratum });
    if (inner.train.length > 0 && inner.test.length > 0) {
      const innerFit = needFit ? fitStrategies(inner.train, models, labels, fitOptions) : null;
      const w = feedbackWeights(inner.train, models, labels.length);
      for (const name of names) {
        const run = replayAll(name, inner.test, models, labels, innerFit, w, earlyExit, opts.accept);
        if (run) validation.set(name, { accuracy: mean(run.hits), callsPerItem: run.calls / inner.test.length });
      }
    }
  }
  const fit = fitting && needFit ? fitStrategies(calTrain, models, labels, fitOptions) : null;
  const weights = fitting ? feedbackWeights(calTrain, models, labels.length) : models.map(() => 1);
  const heldHits = new Map<string, boolean[]>();
  const n = evalItems.length;
  const strategies: StrategyResult[] = [];
  for (const name of names) {
    const run = replayAll(name, evalItems, models, labels, fit, weights, earlyExit, opts.accept);
    if (!run) continue;
    heldHits.set(name, run.hits);
    strategies.push({
      name,
      description: DESCRIPTIONS[name],
      learned: FITTED.has(name) || name === 'weighted',
      researchOnly: false,
      accuracy: mean(run.hits),
      callsPerItem: n ? run.calls / n : 0,
      roundsPerItem: n ? run.rounds / n : 0,
      validation: validation.get(name) ?? null,
      n,
      vsMajority: null,
      ...(name === 'routed' && fit?.router ? { details: { threshold: fit.router.threshold, fallback: fit.router.fallback } } : {}),
      ...(name === 'stacking' && fit?.stacking
        ? { details: { lambda: fit.stacking.lambda, usesRouter: fit.stacking.usesRouter, extras: fit.stacking.extras ?? [] } }
        : {}),
    });
  }
  const research = RESEARCH_AGGREGATORS.filter((a) => wanted(a.name) && (fitting || !a.learned));
  const ctx = { models, unlabeled: cal.apply(all) };
  for (const agg of research) {
    const predictor = agg.fit(calTrain, ctx);
    const hits = evalItems.map((it) => predictor.predict(it).answer === it.gold);
    const calls = evalItems.reduce((a, it) => a + predictor.predict(it).calls, 0);
    heldHits.set(agg.name, hits);
    strategies.push({
      name: agg.name,
      description: `research only: ${agg.description}`,
      learned: agg.learned,
      researchOnly: true,
      accuracy: mean(hits),
      callsPerItem: n ? calls / n : 0,
      roundsPerItem: 1,
      validation: null,
      n,
      vsMajority: null,
    });
  }
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
    recommendation: recommend({
      perModel,
      strategies,
      heldHits,
      singleHits,
      models: [...models],
      fitted: fitting,
      ensembleName: opts.ensembleName ?? 'default',
    }),
  };
}

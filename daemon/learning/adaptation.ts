/**
 * What the daemon learns from labelled outcomes, and how it feeds back into decisions:
 * sliding-window weights from feedback, per-model calibrations, per-ensemble learned aggregations,
 * and each model's contribution. State lives in the store; this keeps the in-force copies.
 *
 * A model id whose config entry now names another model (config/identityLedger.ts) starts afresh:
 * feedback on decisions made before the replacement, a calibration and an ensemble fit made before
 * it, are not applied to the new model (they stay in the store; a refit with new data replaces them).
 */
import type { PoolConfig } from '../../protocol/config';
import type { StrategyName } from '../../protocol/ensemble';
import { EnsembleError } from '../../protocol/errors';
import type { LabelScores } from '../backends/backend';
import { applyCalibration } from './applyCalibration';
import { fitAggregation } from './fitAggregation';
import { parseStoredFit } from './fitSchema';
import { FITTED_STRATEGIES, planFor, type Plan } from '../strategies/engine';
import { logOddsWeight, type StrategyFit } from '../strategies/fit';
import { textFeatures } from '../strategies/textFeatures';
import { fitCalibrations } from './fitCalibration';
import type { ResolvedMember } from '../strategies/members';
import type { Logger } from '../process/log';
import { contributions, type Contribution } from '../strategies/contribution';
import { windowWeights, type WindowWeight } from '../strategies/recalibration';
import type { Calibration, Store } from '../store/store';
import { own } from '../../common/ownProperty';

export class Adaptation {
  private weights: Record<string, WindowWeight> = {};
  private readonly calibrationByModel = new Map<string, Calibration>();
  private readonly aggregationByEnsemble = new Map<string, StrategyFit>();
  /** Label count per decision with feedback: chance is 1/k (decisions never change once recorded). */
  private readonly labelCounts = new Map<string, number>();
  /** Contributions read 1,000 decisions back: cached until a right label arrives (status is asked after every decision). */
  private contributionCache: Record<string, Contribution> | null = null;
  /** Per model id replaced in config.json: since when (ms) what was learned about it counts. */
  private freshSince = new Map<string, number>();
  /** When each decision with feedback was made (ms), for the cut-off above. */
  private readonly decisionAt = new Map<string, number>();
  /** When each ensemble's stored fit was made (ms). */
  private readonly fittedAtByEnsemble = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {
    for (const c of store.calibrations()) this.calibrationByModel.set(c.model, c);
    for (const a of store.aggregations()) {
      const parsed = parseStoredFit(a);
      if (parsed.ok) {
        this.aggregationByEnsemble.set(parsed.fit.ensemble, parsed.strategy);
        this.fittedAtByEnsemble.set(parsed.fit.ensemble, Date.parse(parsed.fit.fittedAt));
      } else
        logger.warn(
          `stored fit of ensemble "${(a as { ensemble?: unknown }).ensemble}" is unusable (${parsed.error}): run "ensemble fit" again`,
        );
    }
  }

  /** Recomputes every model's weight from its most recent feedback (after a config change or new feedback). */
  recompute(config: PoolConfig): void {
    const window = config.daemon.recalibrationWindow;
    const models = config.models.map((m) => ({ id: m.id, priorWeight: m.weight ?? 1 }));
    const rows = this.store
      .feedbackWindow(window)
      .filter((f) => !this.decidedBefore(f.model, f.decisionId))
      .map((f) => ({ ...f, labelCount: this.labelCountOf(f.decisionId) }));
    this.weights = windowWeights(rows, models, window);
  }

  /**
   * Models replaced in config.json (id -> since when, ms): what was learned before about that id is
   * not applied from now on. Recomputes the weights; the log says what was dropped.
   */
  startFresh(freshSince: Map<string, number>, config: PoolConfig): void {
    this.freshSince = new Map(freshSince);
    for (const [model, since] of freshSince) {
      const c = this.calibrationByModel.get(model);
      if (c && Date.parse(c.fittedAt) < since)
        this.logger.info(`calibration of ${model} fitted before it was replaced: not applied (run "ensemble calibrate" again)`);
    }
    this.recompute(config);
  }

  /** Was `at` (ms) before `model` was replaced? (Unknown times count as before.) */
  private predates(model: string, at: number): boolean {
    const since = this.freshSince.get(model);
    return since !== undefined && !(at >= since);
  }

  /** Was this decision made before `model` was replaced? (Looks the decision up only for replaced models.) */
  private decidedBefore(model: string, decisionId: string): boolean {
    return this.freshSince.has(model) && this.predates(model, this.decisionTime(decisionId));
  }

  private decisionTime(decisionId: string): number {
    let at = this.decisionAt.get(decisionId);
    if (at === undefined) {
      at = Date.parse(this.store.getDecision(decisionId)?.decision.createdAt ?? '');
      if (this.decisionAt.size > 100_000) this.decisionAt.clear();
      this.decisionAt.set(decisionId, at);
    }
    return at;
  }

  private labelCountOf(decisionId: string): number {
    let k = this.labelCounts.get(decisionId);
    if (k === undefined) {
      k = this.store.getDecision(decisionId)?.decision.labels.length ?? 2;
      if (this.labelCounts.size > 100_000) this.labelCounts.clear();
      this.labelCounts.set(decisionId, k);
    }
    return k;
  }

  /** A model's weight now: its feedback-derived weight, or its configured prior before any feedback. */
  modelWeight(id: string, config: PoolConfig | null): number {
    return own(this.weights, id)?.weight ?? config?.models.find((m) => m.id === id)?.weight ?? 1;
  }

  /** A member's weight: the model's feedback-derived weight, scaled by the member's own prior (prompt-style members). */
  memberWeight(m: ResolvedMember, config: PoolConfig): number {
    const w = own(this.weights, m.model);
    if (!w || w.n === 0) return m.priorWeight;
    const modelPrior = config.models.find((x) => x.id === m.model)?.weight ?? 1;
    return modelPrior > 0 ? (w.weight * m.priorWeight) / modelPrior : w.weight;
  }

  feedbackStats(id: string): { recentAccuracy: number | null; feedbackCount: number } {
    return { recentAccuracy: own(this.weights, id)?.recentAccuracy ?? null, feedbackCount: own(this.weights, id)?.n ?? 0 };
  }

  calibrate(model: string, scores: LabelScores): { confidence: number | null; probabilities: Record<string, number> } {
    const c = this.calibrationByModel.get(model);
    return applyCalibration(scores, c && !this.predates(model, Date.parse(c.fittedAt)) ? c : undefined);
  }

  /**
   * The engine's plan for one request: members with their feedback weights for the fixed
   * strategies; the stored fit (reliabilities, stacking, router) for the learned ones, with the
   * input's hashed features when a router reads them. The plan carries each model's calibration,
   * so the orchestrator applies it without a call back here.
   */
  plan(
    ensemble: string,
    strategy: StrategyName,
    members: ResolvedMember[],
    request: { text: string; category: string | undefined; labels: readonly string[] },
    settings: { earlyExit: { agreeK: number; threshold: number }; route?: { threshold?: number; fallback?: number } },
    config: PoolConfig,
  ): Plan & { calibrate: Adaptation['calibrate'] } {
    const fittedAt = this.fittedAtByEnsemble.get(ensemble) ?? 0;
    const stale = members.find((m) => this.predates(m.model, fittedAt));
    const fit = stale ? null : (this.aggregationByEnsemble.get(ensemble) ?? null);
    if (FITTED_STRATEGIES.has(strategy) && !fit && stale) {
      throw new EnsembleError(
        'BadInput',
        `ensemble "${ensemble}" was fitted before model "${stale.model}" was replaced in config.json: run "ensemble fit --ensemble ${ensemble}" again`,
      );
    }
    if (FITTED_STRATEGIES.has(strategy) && !fit) {
      throw new EnsembleError(
        'BadInput',
        `ensemble "${ensemble}" has no fitted aggregation for strategy "${strategy}": record a labelled dataset with "ensemble record" and run "ensemble fit --ensemble ${ensemble}"`,
      );
    }
    const bits = fit?.router?.bits;
    const plan = planFor(strategy, {
      labels: request.labels,
      members: members.map((m) => ({ member: m.member, weight: this.memberWeight(m, config) })),
      earlyExit: settings.earlyExit,
      fit,
      category: request.category ?? null,
      features:
        bits !== undefined && (strategy === 'routed' || strategy === 'stacking')
          ? textFeatures(request.text, request.category, bits)
          : null,
      ...(settings.route ? { route: settings.route } : {}),
    });
    return { ...plan, calibrate: (model, scores) => this.calibrate(model, scores) };
  }

  /** Records the right label of a decision; returns every model's weight afterwards. */
  feedback(decisionId: string, answer: { label?: string; correct?: boolean }, config: PoolConfig): Record<string, number> {
    const found = this.store.getDecision(decisionId);
    if (!found) throw new EnsembleError('NotFound', `no decision with id "${decisionId}"`);
    const { decision } = found;
    let gold = answer.label;
    if (gold === undefined) {
      if (answer.correct === true && decision.label !== null) gold = decision.label;
      else throw new EnsembleError('BadInput', 'the decision was wrong: say which label is right ("label")');
    }
    if (!decision.labels.includes(gold)) {
      throw new EnsembleError('BadInput', `"${gold}" is not one of the decision's labels (${decision.labels.join(', ')})`);
    }
    this.store.recordFeedback(decision.id, gold, Date.now());
    this.labelled();
    this.recompute(config);
    return Object.fromEntries(Object.entries(this.weights).map(([k, v]) => [k, v.weight]));
  }

  /** Each model's contribution over the most recent decisions with a known right label. */
  contributions(): Record<string, Contribution> {
    return (this.contributionCache ??= contributions(
      this.store.decisionsWithGold(1_000).map(({ decision, gold }) => ({
        votes: decision.votes.map((v) => ({ model: v.model, label: v.label, status: v.status })),
        decided: decision.label,
        gold,
      })),
    ));
  }

  /** A decision got its right label (feedback, or recorded with one): contributions change. */
  labelled(): void {
    this.contributionCache = null;
  }

  /** Fits an ensemble's learned strategies (reliabilities, router, stacking) on its labelled recordings. */
  fitAggregation(ensemble: string, members: ResolvedMember[], labels: readonly string[]) {
    const ids = members.map((m) => m.member);
    const modelOf = new Map(members.map((m) => [m.member, m.model]));
    // Votes a replaced model's predecessor gave are not the new model's: the fit starts afresh for it.
    const votes = this.store
      .labelledMemberVotes(ensemble)
      .filter((v) => !this.decidedBefore(modelOf.get(v.member) ?? v.member, v.decisionId));
    const seen = new Set(labels);
    for (const v of votes) {
      seen.add(v.gold);
      if (v.label !== null) seen.add(v.label);
    }
    const fit = fitAggregation(ensemble, ids, [...seen].sort(), votes);
    if (fit.n === 0)
      throw new EnsembleError(
        'BadInput',
        `ensemble "${ensemble}" has no labelled recordings yet: run "ensemble record <dataset.jsonl> --ensemble ${ensemble}" first`,
      );
    this.store.saveAggregation(fit);
    const parsed = parseStoredFit(fit);
    if (!parsed.ok) throw new EnsembleError('InternalError', `the fit of ${ensemble} does not validate: ${parsed.error}`);
    this.aggregationByEnsemble.set(ensemble, parsed.strategy);
    this.fittedAtByEnsemble.set(ensemble, Date.parse(fit.fittedAt));
    this.logger.info(
      `aggregation of ${ensemble} fitted on ${fit.n} labelled items (${Object.keys(fit.byCategory).length} categories; ` +
        `router ${fit.router ? `threshold ${fit.router.threshold}` : 'none: recordings lack input text'}; stacking ${fit.stacking ? 'yes' : 'none'})`,
    );
    const k = Math.max(2, fit.labelCount ?? 2);
    return {
      ensemble,
      n: fit.n,
      categories: Object.keys(fit.byCategory).filter(Boolean),
      members: ids.map((member, i) => ({ member, reliability: fit.global[i] ?? 0, weight: logOddsWeight(fit.global[i] ?? 0.5, k) })),
      router: fit.router ? { threshold: fit.router.threshold, fallback: fit.router.fallback } : null,
      stacking: fit.stacking !== null && fit.stacking !== undefined,
    };
  }

  /** Fits each model's calibration on every labelled vote so far and puts it in force. */
  fitCalibration(method: Calibration['method'], minSamples: number) {
    // Votes a replaced model's predecessor gave are not the new model's: it is calibrated on its own votes only.
    const votes = this.store.labelledVotes(50_000).filter((v) => !this.decidedBefore(v.model, v.decisionId));
    const fits = fitCalibrations(votes, this.calibrationByModel, method, minSamples);
    // Saved together: a crash mid-fit leaves every old calibration or every new one, never a mix.
    this.store.saveCalibrations(fits.flatMap((f) => (f.calibration ? [f.calibration] : [])));
    for (const f of fits) {
      if (!f.calibration) continue;
      this.calibrationByModel.set(f.model, f.calibration);
      this.logger.info(
        `calibration of ${f.model}: ${method} ${JSON.stringify(f.calibration.params)} on ${f.n} votes, ECE ${f.eceBefore.toFixed(3)} -> ${f.eceAfter.toFixed(3)}`,
      );
    }
    return fits.map((f) => ({
      model: f.model,
      n: f.n,
      applied: f.calibration !== null,
      params: f.calibration ? (f.calibration.params as Record<string, number>) : null,
      eceBefore: f.eceBefore,
      eceAfter: f.eceAfter,
      brierBefore: f.brierBefore,
      brierAfter: f.brierAfter,
      heldOut: f.heldOut,
    }));
  }
}

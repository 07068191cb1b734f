/**
 * What the daemon does, independent of transport: the WebSocket sessions and the HTTP gateway both
 * call these methods. Holds the last good config, the pool, feedback-derived weights and
 * calibrations, and records every decision.
 */
import fs from 'node:fs';
import type { EnsembleSpec, PoolConfig } from '../protocol/config';
import type { Decision, RefineResult, StrategyName } from '../protocol/ensemble';
import { EnsembleError } from '../protocol/errors';
import type { HomePaths } from '../protocol/home';
import type { ClassifyParams, FeedbackParams, PoolStatus, ProgressValue, RefineParams } from '../protocol/methods';
import type { BackendFactory } from './backends/createBackend';
import { loadConfig, type LoadedConfig } from './config/loadConfig';
import { applyCalibration } from './ensemble/applyCalibration';
import { classify } from './ensemble/classify';
import { fitCalibrations } from './ensemble/fitCalibration';
import { fitAggregation, learnedWeights } from './ensemble/fitAggregation';
import { resolveMembers, type ResolvedMember } from './ensemble/members';
import { refine } from './ensemble/refine';
import type { Logger } from './log';
import { Pool, type DownloadListener } from './pool/pool';
import { contributions } from './strategies/contribution';
import { windowWeights, type WindowWeight } from './strategies/recalibration';
import type { AggregationFit, Calibration, Store } from './store/store';
import { DAEMON_VERSION } from './version';

export interface ServiceOptions {
  paths: HomePaths;
  logger: Logger;
  factory: BackendFactory;
  store: Store;
  /** Told when the pool or config changes, so clients refresh. */
  onChange?: (reason: string) => void;
  /** Download progress of models fetched on first use (the foreground daemon draws bars). */
  onDownloadProgress?: DownloadListener;
}

export class DaemonService {
  readonly pool: Pool;
  private loaded: LoadedConfig | null = null;
  private configError: string | null = null;
  private weights: Record<string, WindowWeight> = {};
  private calibrationByModel = new Map<string, Calibration>();
  private aggregationByEnsemble = new Map<string, AggregationFit>();
  private readonly startedAt = Date.now();

  constructor(private readonly opts: ServiceOptions) {
    this.pool = new Pool(opts.factory, opts.logger, (r) => opts.onChange?.(r), opts.onDownloadProgress);
    for (const c of opts.store.calibrations()) this.calibrationByModel.set(c.model, c);
    for (const a of opts.store.aggregations()) this.aggregationByEnsemble.set(a.ensemble, a);
  }

  /** (Re)reads config.json. On error the last good config stays in force and the error is kept for status. */
  reloadConfig(): { ok: boolean; error: string | null } {
    const result = loadConfig(this.opts.paths);
    if (!result.ok) {
      this.configError = result.error;
      this.opts.logger.error(`config not applied, keeping the last good one:\n${result.error}`);
      this.opts.onChange?.('config error');
      return { ok: false, error: result.error };
    }
    this.loaded = result.value;
    this.configError = null;
    this.pool.apply(result.value.config, result.value.path);
    this.recomputeWeights();
    this.opts.logger.info(
      `config ${result.value.source === 'file' ? `loaded from ${result.value.path}` : 'absent: using the embedded default pool'}: ` +
        `${result.value.config.models.length} models, ensembles ${Object.keys(result.value.config.ensembles).join(', ') || 'none'}`,
    );
    this.opts.onChange?.('config reloaded');
    return { ok: true, error: null };
  }

  private get config(): PoolConfig {
    if (!this.loaded) throw new EnsembleError('ConfigInvalid', this.configError ?? 'no config loaded');
    return this.loaded.config;
  }

  private ensemble(name: string | undefined): { name: string; spec: EnsembleSpec; members: ResolvedMember[] } {
    const config = this.config;
    const chosen = name ?? this.loaded!.defaultEnsemble;
    const spec = config.ensembles[chosen];
    if (!spec) {
      throw new EnsembleError('EnsembleNotFound', `no ensemble named "${chosen}" (known: ${Object.keys(config.ensembles).join(', ') || 'none'}; see ${this.opts.paths.config})`);
    }
    return { name: chosen, spec, members: resolveMembers(spec, config.models) };
  }

  private weightOf = (m: ResolvedMember): number => {
    const w = this.weights[m.model];
    // Feedback moves the model's weight; a member's own prior scales it (prompt-style members).
    if (!w || w.n === 0) return m.priorWeight;
    const modelPrior = this.config.models.find((x) => x.id === m.model)?.weight ?? 1;
    return modelPrior > 0 ? (w.weight * m.priorWeight) / modelPrior : w.weight;
  };

  async classify(params: ClassifyParams, signal: AbortSignal, progress: (v: ProgressValue) => void): Promise<Decision> {
    const { name, spec, members } = this.ensemble(params.ensemble);
    const labels = params.labels ?? spec.labels;
    if (!labels) {
      throw new EnsembleError('BadInput', `ensemble "${name}" has no "labels" in ${this.opts.paths.config}: pass labels with the request`);
    }
    if (new Set(labels).size !== labels.length) throw new EnsembleError('BadInput', 'labels must be distinct');
    const strategy: StrategyName = params.strategy ?? spec.strategy;
    let weightOf = this.weightOf;
    let ordered = members;
    if (strategy === 'learned' || strategy === 'routed') {
      const fit = this.aggregationByEnsemble.get(name);
      if (!fit) {
        throw new EnsembleError('BadInput', `ensemble "${name}" has no fitted aggregation for strategy "${strategy}": record a labelled dataset with "ensemble record" and run "ensemble fit --ensemble ${name}"`);
      }
      const learned = learnedWeights(fit, params.category, labels.length);
      weightOf = (m) => learned.get(m.member) ?? this.weightOf(m);
      // Routing asks the members most reliable for this category first.
      if (strategy === 'routed') ordered = [...members].sort((a, b) => weightOf(b) - weightOf(a));
    }
    const decision = await classify(
      {
        pool: this.pool,
        weightOf,
        calibrate: (model, scores) => applyCalibration(scores, this.calibrationByModel.get(model)),
      },
      {
        ensemble: name,
        members: ordered,
        text: params.text,
        labels,
        instruction: params.instruction ?? spec.instruction,
        strategy,
        memberTimeoutMs: spec.memberTimeoutMs,
        deadlineMs: params.deadlineMs ?? spec.deadlineMs,
        earlyExit: spec.earlyExit,
      },
      signal,
      (vote, done, total, decisionId) => progress({ kind: 'vote', decisionId, vote, done, total }),
    );
    try {
      this.opts.store.recordDecision(decision, {
        source: params.dataset ? 'record' : 'live',
        itemId: params.itemId,
        category: params.category,
        dataset: params.dataset,
        gold: params.gold,
      });
    } catch (e) {
      this.opts.logger.error(`could not record decision ${decision.id}: ${(e as Error).message}`);
    }
    // Request counters and model states moved: clients refresh their pool views.
    this.opts.onChange?.('decision');
    return decision;
  }

  async refine(params: RefineParams, signal: AbortSignal, progress: (v: ProgressValue) => void): Promise<RefineResult> {
    const { name, spec, members } = this.ensemble(params.ensemble);
    return refine(
      this.pool,
      {
        ensemble: name,
        members,
        text: params.text,
        instruction: params.instruction,
        maxTokens: params.maxTokens,
        memberTimeoutMs: spec.memberTimeoutMs,
        deadlineMs: params.deadlineMs ?? spec.deadlineMs,
      },
      signal,
      (step, done, total, refineId) => progress({ kind: 'refineStep', refineId, step, done, total }),
    );
  }

  feedback(params: FeedbackParams): { recorded: boolean; weights: Record<string, number> } {
    const found = this.opts.store.getDecision(params.decisionId);
    if (!found) throw new EnsembleError('NotFound', `no decision with id "${params.decisionId}"`);
    const { decision } = found;
    let gold = params.label;
    if (gold === undefined) {
      if (params.correct === true && decision.label !== null) gold = decision.label;
      else throw new EnsembleError('BadInput', 'the decision was wrong: say which label is right ("label")');
    }
    if (!decision.labels.includes(gold)) {
      throw new EnsembleError('BadInput', `"${gold}" is not one of the decision's labels (${decision.labels.join(', ')})`);
    }
    this.opts.store.recordFeedback(decision.id, gold, Date.now());
    this.recomputeWeights();
    this.opts.onChange?.('feedback');
    return { recorded: true, weights: Object.fromEntries(Object.entries(this.weights).map(([k, v]) => [k, v.weight])) };
  }

  private recomputeWeights(): void {
    if (!this.loaded) return;
    const window = this.loaded.config.daemon.recalibrationWindow;
    const feedback = this.opts.store.feedbackWindow(window);
    const models = this.loaded.config.models.map((m) => ({ id: m.id, priorWeight: m.weight ?? 1 }));
    this.weights = windowWeights(feedback, models, window);
  }

  recordedItems(dataset: string, ensemble: string | undefined): { ensemble: string; itemIds: string[] } {
    const { name } = this.ensemble(ensemble);
    return { ensemble: name, itemIds: [...this.opts.store.recordedItems(dataset, name)] };
  }

  recent(limit: number): Decision[] {
    return this.opts.store.recentDecisions(limit);
  }

  status(): PoolStatus {
    const loaded = this.loaded;
    const contrib = contributions(
      this.opts.store.decisionsWithGold(1_000).map(({ decision, gold }) => ({
        votes: decision.votes.map((v) => ({ model: v.model, label: v.label, status: v.status })),
        decided: decision.label,
        gold,
      })),
    );
    const models = this.pool.status((id) => this.weights[id]?.weight ?? loaded?.config.models.find((m) => m.id === id)?.weight ?? 1).map((m) => ({
      ...m,
      recentAccuracy: this.weights[m.id]?.recentAccuracy ?? null,
      feedbackCount: this.weights[m.id]?.n ?? 0,
      decisive: contrib[m.id]?.decisive ?? 0,
      overruledRight: contrib[m.id]?.overruledRight ?? 0,
    }));
    const ready = new Set(models.filter((m) => m.state === 'ready').map((m) => m.id));
    return {
      daemonVersion: DAEMON_VERSION,
      pid: process.pid,
      uptimeMs: Date.now() - this.startedAt,
      home: this.opts.paths.home,
      configPath: loaded?.source === 'embedded' ? `${this.opts.paths.config} (absent: embedded default pool)` : this.opts.paths.config,
      configError: this.configError,
      defaultEnsemble: loaded?.defaultEnsemble ?? 'default',
      models,
      ensembles: Object.entries(loaded?.config.ensembles ?? {}).map(([name, spec]) => {
        const members = resolveMembers(spec, loaded!.config.models);
        return {
          name,
          members: members.map((m) => ({ member: m.member, model: m.model, promptStyle: m.promptStyle })),
          strategy: spec.strategy,
          labels: spec.labels,
          ready: members.filter((m) => ready.has(m.model)).length,
        };
      }),
      memory: this.pool.memoryPlan(),
    };
  }

  /** Watches config.json and reloads on change (debounced: editors write in several steps). */
  watchConfig(): () => void {
    let timer: NodeJS.Timeout | undefined;
    let watcher: fs.FSWatcher | undefined;
    try {
      watcher = fs.watch(this.opts.paths.home, (_event, file) => {
        if (file !== null && file !== 'config.json') return;
        clearTimeout(timer);
        timer = setTimeout(() => this.reloadConfig(), 200);
      });
      watcher.on('error', (e) => this.opts.logger.warn(`config watch stopped: ${e.message}`));
    } catch (e) {
      this.opts.logger.warn(`cannot watch ${this.opts.paths.home}: ${(e as Error).message}`);
    }
    return () => {
      clearTimeout(timer);
      watcher?.close();
    };
  }

  allowedOrigins(): readonly string[] {
    return this.loaded?.config.daemon.allowedOrigins ?? [];
  }

  /** Fits the ensemble's per-member, per-category reliabilities on its labelled recordings. */
  fitAggregation(ensemble: string | undefined) {
    const { name, members } = this.ensemble(ensemble);
    const ids = members.map((m) => m.member);
    const fit = fitAggregation(name, ids, this.opts.store.labelledMemberVotes(name));
    if (fit.n === 0) throw new EnsembleError('BadInput', `ensemble "${name}" has no labelled recordings yet: run "ensemble record <dataset.jsonl> --ensemble ${name}" first`);
    this.opts.store.saveAggregation(fit);
    this.aggregationByEnsemble.set(name, fit);
    this.opts.logger.info(`aggregation of ${name} fitted on ${fit.n} labelled items (${Object.keys(fit.byCategory).length} categories)`);
    return {
      ensemble: name,
      n: fit.n,
      categories: Object.keys(fit.byCategory).filter(Boolean),
      members: ids.map((member, i) => ({ member, reliability: fit.global[i] ?? 0, weight: learnedWeights(fit, undefined, 2).get(member) ?? 0 })),
    };
  }

  fitCalibration(method: Calibration['method'], minSamples: number) {
    const fits = fitCalibrations(this.opts.store.labelledVotes(50_000), this.calibrationByModel, method, minSamples);
    for (const f of fits) {
      if (!f.calibration) continue;
      this.opts.store.saveCalibration(f.calibration);
      this.calibrationByModel.set(f.model, f.calibration);
      this.opts.logger.info(`calibration of ${f.model}: ${method} ${JSON.stringify(f.calibration.params)} on ${f.n} votes, ECE ${f.eceBefore.toFixed(3)} -> ${f.eceAfter.toFixed(3)}`);
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
    }));
  }

  async dispose(): Promise<void> {
    await this.pool.dispose();
    this.opts.store.close();
  }
}

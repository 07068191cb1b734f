/**
 * What the daemon does, independent of transport: the WebSocket sessions and the HTTP gateway both
 * call these methods. Holds the last good config and the pool, records every decision, and leaves
 * what is learned from outcomes (weights, calibration, fitted aggregation) to `Adaptation`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EnsembleSpec, PoolConfig } from '../protocol/config';
import type { Decision, RefineResult, StrategyName } from '../protocol/ensemble';
import { EnsembleError, asEnsembleError } from '../protocol/errors';
import type { HomePaths } from '../common/node/home';
import type { ClassifyParams, FeedbackParams, PoolStatus, ProgressValue, RefineParams } from '../protocol/methods';
import type { BackendFactory } from './backends/backend';
import { loadConfig, type LoadedConfig } from './config/loadConfig';
import { readLedger, reconcile, writeLedger } from './config/identityLedger';
import { Adaptation } from './learning/adaptation';
import { FITTED_STRATEGIES } from './strategies/engine';
import { classify } from './ensemble/classify';
import { resolveMembers, type ResolvedMember } from './strategies/members';
import { refine, type StepToken } from './ensemble/refine';
import { runGeneration } from './ensemble/generationRequest';
import type { GenerateParams, GenerationResult, GenerationStrategy } from '../protocol/generation';
import { answer } from './ensemble/answer';
import { extract } from './ensemble/extract';
import type { AnswerParams, AnswerResult, ExtractParams, ExtractionResult } from '../protocol/tasks';
import type { ChatMessage } from './backends/backend';
import type { Logger } from './process/log';
import { nonFiniteNumber } from '../common/finite';
import { fitReply, pageIds } from './paging';
import { Pool, type DownloadListener } from './pool/pool';
import { liveDiversity } from './learning/liveDiversity';
import { adaptiveTimeoutMs, applyLaggardPolicy, detectLaggards, type LaggardFlag } from './pool/laggards';
import type { EventLoopDelay } from '../protocol/eventLoop';
import type { ChangeHint } from './pool/changeHint';
import type { LlamaRuntimeCheck } from './backends/llamaRuntime';
import type { StorageInfo } from './store/openStore';
import type { Calibration, Store, TaskRecord } from './store/store';
import { normalizeAnswer } from './tasks/answerNormalize';
import { DAEMON_VERSION } from './version';
import { own } from '../common/ownProperty';

export interface ServiceOptions {
  paths: HomePaths;
  logger: Logger;
  factory: BackendFactory;
  store: Store;
  /** Where decisions are recorded (SQLite, or memory when SQLite cannot be used), for status. */
  storage?: StorageInfo;
  /** What workers load with and why a configured GPU runtime is not used, for status. */
  gpuRuntime?: { gpu: string; warning?: string };
  /** The llama.cpp binary found at start, or why there is none, for status. */
  llamaRuntime?: LlamaRuntimeCheck;
  /** Told when the pool or config changes, so clients update their pool views. */
  onChange?: (hint: ChangeHint) => void;
  /** Download progress of models fetched on first use (the foreground daemon draws bars). */
  onDownloadProgress?: DownloadListener;
  /** The daemon's event-loop delay, for status (daemon/eventLoopGuard.ts). */
  eventLoop?: () => EventLoopDelay;
}

export class DaemonService {
  readonly pool: Pool;
  private loaded: LoadedConfig | null = null;
  private configError: string | null = null;
  private readonly adaptation: Adaptation;
  private readonly startedAt = Date.now();
  private statusReads = 0;

  constructor(private readonly opts: ServiceOptions) {
    this.pool = new Pool(opts.factory, opts.logger, (r) => opts.onChange?.(r), opts.onDownloadProgress);
    this.pool.setIntegrityCache(path.join(opts.paths.home, 'integrity.json'));
    // The VS Code extension starts the daemon with ENSEMBLE_DOWNLOADS=ask: nothing big is fetched before the user says so.
    if (process.env.ENSEMBLE_DOWNLOADS === 'ask') this.pool.setDownloadApproval('ask');
    this.adaptation = new Adaptation(opts.store, opts.logger);
  }

  /** (Re)reads config.json. On error the last good config stays in force and the error is kept for status. */
  reloadConfig(): { ok: boolean; error: string | null } {
    const result = loadConfig(this.opts.paths);
    if (!result.ok) {
      this.configError = result.error;
      this.opts.logger.error(`config not applied, keeping the last good one:\n${result.error}`);
      this.opts.onChange?.({ kind: 'config', reason: 'config error' });
      return { ok: false, error: result.error };
    }
    this.loaded = result.value;
    this.configError = null;
    this.pool.apply(result.value.config, result.value.path);
    this.adaptation.startFresh(this.replacedSince(result.value.config), result.value.config);
    this.pool.setTimeoutPolicy(this.adaptiveTimeouts(result.value.config));
    this.opts.logger.info(
      `config ${result.value.source === 'file' ? `loaded from ${result.value.path}` : 'absent: using the embedded default pool'}: ` +
        `${result.value.config.models.length} models, ensembles ${Object.keys(result.value.config.ensembles).join(', ') || 'none'}`,
    );
    this.opts.onChange?.({ kind: 'config', reason: 'config reloaded' });
    return { ok: true, error: null };
  }

  /** Member timeouts that follow observed latency (`daemon.laggards.adaptiveTimeout`), or none. */
  private adaptiveTimeouts(config: PoolConfig): ((model: string, configuredMs: number) => number) | undefined {
    const laggards = config.daemon.laggards;
    const adaptive = laggards?.adaptiveTimeout;
    if (!laggards || !adaptive) return undefined;
    return (model, configuredMs) =>
      adaptiveTimeoutMs(this.pool.latencySamples(model), {
        factor: adaptive.factor,
        minMs: adaptive.minMs,
        maxMs: configuredMs,
        minSamples: laggards.minSamples,
      });
  }

  /** Ids whose entry now names another model (since the last reload or the last run) start afresh; the log says why. */
  private replacedSince(config: PoolConfig): Map<string, number> {
    const file = path.join(this.opts.paths.home, 'model-identities.json');
    const warn = (why: string) => this.opts.logger.warn(`model identities: ${why}`);
    const { ledger, replaced, freshSince } = reconcile(readLedger(file, warn), config.models, Date.now());
    for (const r of replaced)
      this.opts.logger.info(
        `model ${r.id} now names another model (${r.reason}): its feedback, calibration and fitted weights start afresh`,
      );
    try {
      writeLedger(file, ledger);
    } catch (e) {
      warn(`cannot write ${file}: ${(e as Error).message}`);
    }
    return freshSince;
  }

  private get config(): PoolConfig {
    if (!this.loaded) throw new EnsembleError('ConfigInvalid', this.configError ?? 'no config loaded');
    return this.loaded.config;
  }

  private ensemble(name: string | undefined): { name: string; spec: EnsembleSpec; members: ResolvedMember[] } {
    const config = this.config;
    const chosen = name ?? this.loaded!.defaultEnsemble;
    const spec = own(config.ensembles, chosen);
    if (!spec) {
      throw new EnsembleError(
        'EnsembleNotFound',
        `no ensemble named "${chosen}" (known: ${Object.keys(config.ensembles).join(', ') || 'none'}; see ${this.opts.paths.config})`,
      );
    }
    return { name: chosen, spec, members: resolveMembers(spec, config.models) };
  }

  async classify(params: ClassifyParams, signal: AbortSignal, progress: (v: ProgressValue) => void): Promise<Decision> {
    const { name, spec, members: listed } = this.ensemble(params.ensemble);
    // The laggard policy (lower a slow member's weight, or ask it last) runs before the plan is built, so the plan sees it.
    const members = applyLaggardPolicy(listed, this.recentLaggards(), this.config.daemon.laggards);
    const labels = params.labels ?? spec.labels;
    if (!labels) {
      throw new EnsembleError('BadInput', `ensemble "${name}" has no "labels" in ${this.opts.paths.config}: pass labels with the request`);
    }
    if (new Set(labels).size !== labels.length) throw new EnsembleError('BadInput', 'labels must be distinct');
    const strategy: StrategyName = params.strategy ?? spec.strategy;
    const plan = this.adaptation.plan(
      name,
      strategy,
      members,
      { text: params.text, category: params.category, labels },
      { earlyExit: spec.earlyExit, ...(spec.router ? { route: spec.router } : {}) },
      this.config,
    );
    const decision = await classify(
      {
        pool: this.pool,
        calibrate: (model, scores) => this.adaptation.calibrate(model, scores),
      },
      {
        ensemble: name,
        members,
        text: params.text,
        labels,
        instruction: params.instruction ?? spec.instruction,
        strategy,
        plan,
        memberTimeoutMs: spec.memberTimeoutMs,
        deadlineMs: params.deadlineMs ?? spec.deadlineMs,
      },
      signal,
      (vote, done, total, decisionId) => progress({ kind: 'vote', decisionId, vote, done, total }),
    );
    // Nothing non-finite leaves the daemon or reaches the store: a vote's numbers are checked by
    // its backend, and the whole decision here, with the path of what is wrong.
    const bad = nonFiniteNumber(decision);
    if (bad) {
      this.opts.logger.error(`decision ${decision.id} holds a non-finite number at ${bad} and was not recorded`);
      throw new EnsembleError('InternalError', `the decision came out malformed (${bad} is not a finite number); it was not recorded`);
    }
    const meta = {
      source: params.dataset ? ('record' as const) : ('live' as const),
      itemId: params.itemId,
      category: params.category,
      dataset: params.dataset,
      gold: params.gold,
      text: params.text,
    };
    // Live decisions go to the SQLite store's writer thread (ThreadedStore), off the hot path.
    this.writeRecord(
      `decision ${decision.id}`,
      () => {
        this.opts.store.recordDecision(decision, meta);
        if (params.gold !== undefined) this.adaptation.labelled();
      },
      params,
      'decided',
    );
    // Request counters and model states moved: clients refresh their pool views.
    this.opts.onChange?.({ kind: 'stats', reason: 'decision' });
    return decision;
  }

  async refine(
    params: RefineParams,
    signal: AbortSignal,
    progress: (v: ProgressValue) => void,
    extra: { conversation?: ChatMessage[]; onToken?: (token: StepToken) => void } = {},
  ): Promise<RefineResult> {
    const { name, spec, members } = this.ensemble(params.ensemble);
    return refine(
      this.pool,
      {
        ensemble: name,
        members,
        text: params.text,
        instruction: params.instruction,
        conversation: extra.conversation,
        maxTokens: params.maxTokens,
        memberTimeoutMs: spec.memberTimeoutMs,
        deadlineMs: params.deadlineMs ?? spec.deadlineMs,
      },
      signal,
      {
        onStep: (step, done, total, refineId) => progress({ kind: 'refineStep', refineId, step, done, total }),
        onToken: (t, total, refineId) => {
          extra.onToken?.(t);
          progress({ kind: 'refineToken', refineId, index: t.index, member: t.member, model: t.model, role: t.role, text: t.text, total });
        },
      },
    );
  }

  /** The generation strategy the ensemble's config names, if any (the gateway's bare ensemble name runs it). */
  generationStrategyOf(ensemble: string | undefined): GenerationStrategy | undefined {
    return this.ensemble(ensemble).spec.generation?.strategy;
  }

  /** `ensemble/generate`: compare, fusion, firstSuccess or refine over the ensemble's members (docs/generation.md). */
  async generate(params: GenerateParams, signal: AbortSignal, progress: (v: ProgressValue) => void): Promise<GenerationResult> {
    const target = this.ensemble(params.ensemble);
    const deps = {
      pool: this.pool,
      models: this.config.models,
      refine: (p: RefineParams, s: AbortSignal, pr: (v: ProgressValue) => void) => this.refine(p, s, pr),
      accuracyOf: (model: string) => this.adaptation.feedbackStats(model).recentAccuracy,
    };
    const result = await runGeneration(deps, target, params, signal, progress);
    this.recordTask({ task: 'generate', result, gold: params.gold ?? null }, params);
    return result;
  }

  async answer(params: AnswerParams, signal: AbortSignal, progress: (v: ProgressValue) => void): Promise<AnswerResult> {
    const { name, spec, members: listed } = this.ensemble(params.ensemble);
    const members = applyLaggardPolicy(listed, this.recentLaggards(), this.config.daemon.laggards); // as in classify
    // Free answers are an open set of labels: the fitted strategies (learned, stacking, routed) were
    // fitted on label votes, so answers vote by calibrated, feedback-weighted confidence instead.
    const requested: StrategyName = params.strategy ?? spec.strategy;
    const strategy: StrategyName = FITTED_STRATEGIES.has(requested) ? 'weighted' : requested;
    const gold = params.gold === undefined ? null : normalizeAnswer(params.gold, { options: params.options });
    if (params.gold !== undefined && gold === null)
      throw new EnsembleError('BadInput', `gold: "${params.gold.slice(0, 100)}" normalizes to nothing (expected a short answer)`);
    const config = this.config;
    const result = await answer(
      {
        pool: this.pool,
        weightOf: (m) => this.adaptation.memberWeight(m, config),
        calibrate: (model, scores) => this.adaptation.calibrate(model, scores),
      },
      {
        ensemble: name,
        members,
        question: params.question,
        options: params.options,
        strategy,
        quorum: params.quorum ?? spec.quorum,
        memberTimeoutMs: spec.memberTimeoutMs,
        deadlineMs: params.deadlineMs ?? spec.deadlineMs,
        earlyExit: spec.earlyExit,
      },
      signal,
      (vote, done, total, answerId) => progress({ kind: 'answerVote', answerId, vote, done, total }),
    );
    this.recordTask({ task: 'answer', result, gold }, params);
    this.opts.onChange?.({ kind: 'stats', reason: 'answer' });
    return result;
  }

  async extract(params: ExtractParams, signal: AbortSignal, progress: (v: ProgressValue) => void): Promise<ExtractionResult> {
    const { name, spec, members } = this.ensemble(params.ensemble);
    if (new Set(params.types).size !== params.types.length) throw new EnsembleError('BadInput', 'types must be distinct');
    const result = await extract(
      this.pool,
      {
        ensemble: name,
        members,
        text: params.text,
        types: params.types,
        quorum: params.quorum ?? spec.quorum,
        instruction: params.instruction,
        memberTimeoutMs: spec.memberTimeoutMs,
        deadlineMs: params.deadlineMs ?? spec.deadlineMs,
      },
      signal,
      (vote, done, total, extractionId) => progress({ kind: 'extractionVote', extractionId, vote, done, total }),
    );
    this.recordTask({ task: 'extract', result, text: params.text, gold: params.gold ?? null }, params);
    this.opts.onChange?.({ kind: 'stats', reason: 'extraction' });
    return result;
  }

  feedback(params: FeedbackParams): { recorded: boolean; weights: Record<string, number> } {
    const weights = this.adaptation.feedback(params.decisionId, params, this.config);
    this.opts.onChange?.({ kind: 'stats', reason: 'feedback' });
    return { recorded: true, weights };
  }

  recordedItems(
    dataset: string,
    ensemble: string | undefined,
    cursor?: string,
    task: 'classify' | 'answer' | 'extract' = 'classify',
  ): { ensemble: string; itemIds: string[]; nextCursor?: string } {
    const { name } = this.ensemble(ensemble);
    const ids = task === 'classify' ? this.opts.store.recordedItems(dataset, name) : this.opts.store.recordedTaskItems(task, dataset, name);
    return { ensemble: name, ...pageIds(ids, cursor) };
  }

  /** Answers and extractions are recorded like decisions. */
  private recordTask(record: TaskRecord, params: { dataset?: string; itemId?: string }): void {
    const meta = { source: params.dataset ? ('record' as const) : ('live' as const), dataset: params.dataset, itemId: params.itemId };
    this.writeRecord(`${record.task} ${record.result.id}`, () => this.opts.store.recordTask(record, meta), params, 'answered');
  }

  /**
   * One store write of a result: for a recording run (a dataset item) a failure is the caller's
   * error, never swallowed; for a live request it is the log's (the reply has what the caller needs).
   */
  private writeRecord(what: string, write: () => void, item: { dataset?: string; itemId?: string }, outcome: 'decided' | 'answered'): void {
    try {
      write();
    } catch (e) {
      const why = asEnsembleError(e).message;
      this.opts.logger.error(`could not record ${what}: ${why}`);
      if (!item.dataset) return;
      throw new EnsembleError('StoreFailed', `item ${item.itemId ?? '?'} was ${outcome} but not recorded: ${why}`, undefined, { cause: e });
    }
  }

  /** The right answer to a recorded answer, kept (normalized) as its gold for `ensemble eval`. */
  answerFeedback(answerId: string, right: string): { recorded: boolean } {
    const gold = normalizeAnswer(right);
    if (gold === null)
      throw new EnsembleError('BadInput', `answer: "${right.slice(0, 100)}" normalizes to nothing (expected a short answer)`);
    const recorded = this.opts.store.setAnswerGold(answerId, gold);
    if (recorded) this.opts.onChange?.({ kind: 'stats', reason: 'feedback' });
    return { recorded };
  }

  recent(limit: number, before?: string): Decision[] {
    return fitReply(this.opts.store.recentDecisions(limit, before));
  }

  /** A client asked for `pool/status` (counted in status: clients should follow `pool/changed` instead of polling). */
  countStatusRead(): void {
    this.statusReads++;
  }

  status(): PoolStatus {
    const loaded = this.loaded;
    const contrib = this.adaptation.contributions();
    const models = this.pool
      .status((id) => this.adaptation.modelWeight(id, loaded?.config ?? null))
      .map((m) => ({
        ...m,
        ...this.adaptation.feedbackStats(m.id),
        decisive: own(contrib, m.id)?.decisive ?? 0,
        overruledRight: own(contrib, m.id)?.overruledRight ?? 0,
      }));
    const laggards = this.laggards();
    for (const m of models) {
      const flag = laggards.get(m.id);
      if (flag) Object.assign(m, { laggard: flag });
    }
    const ready = new Set(models.filter((m) => m.state === 'ready' || m.state === 'busy').map((m) => m.id));
    const diversity = this.diversity(loaded);
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
      ...(this.opts.storage ? { storage: { ...this.opts.storage } } : {}),
      ...(this.opts.gpuRuntime ? { gpuRuntime: { ...this.opts.gpuRuntime } } : {}),
      ...(this.opts.llamaRuntime ? { llamaRuntime: { ...this.opts.llamaRuntime } } : {}),
      ...(diversity ? { diversity } : {}),
      ...(this.opts.eventLoop ? { eventLoop: this.opts.eventLoop() } : {}),
      statusReads: this.statusReads,
    };
  }

  private laggards(): Map<string, LaggardFlag> {
    const flags = detectLaggards(this.pool.latencies(), this.loaded?.config.daemon.laggards);
    this.laggardCache = { at: performance.now(), config: this.loaded, flags };
    return flags;
  }

  private laggardCache: { at: number; config: LoadedConfig | null; flags: Map<string, LaggardFlag> } | null = null;

  /**
   * The laggards as requests see them: a p90 over each member's last calls moves slowly, so it is
   * worked out at most every LAGGARD_REFRESH_MS (sorting every window on every request cost about
   * 2 % of the daemon's time at 1,000 decisions/s), and at once after a config change.
   */
  private recentLaggards(): Map<string, LaggardFlag> {
    const c = this.laggardCache;
    if (c && c.config === this.loaded && performance.now() - c.at < LAGGARD_REFRESH_MS) return c.flags;
    return this.laggards();
  }

  /** `pool/diversity` for any ensemble (status carries the default one's). */
  diversityOf(ensemble: string | undefined, limit: number) {
    const { name, members } = this.ensemble(ensemble);
    return (
      liveDiversity(
        this.opts.store,
        name,
        members.map((m) => m.member),
        limit,
      ) ?? null
    );
  }

  /** Which members of the default ensemble add diversity (never fails status: a store error only hides it). */
  private diversity(loaded: LoadedConfig | null) {
    const spec = loaded ? own(loaded.config.ensembles, loaded.defaultEnsemble) : undefined;
    if (!loaded || !spec) return undefined;
    try {
      return liveDiversity(
        this.opts.store,
        loaded.defaultEnsemble,
        resolveMembers(spec, loaded.config.models).map((m) => m.member),
      );
    } catch (e) {
      this.opts.logger.warn(`diversity figures unavailable: ${(e as Error).message}`);
      return undefined;
    }
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

  fitAggregation(ensemble: string | undefined) {
    const { name, spec, members } = this.ensemble(ensemble);
    return this.adaptation.fitAggregation(name, members, spec.labels ?? []);
  }

  fitCalibration(method: Calibration['method'], minSamples: number) {
    return this.adaptation.fitCalibration(method, minSamples);
  }

  async dispose(): Promise<void> {
    await this.pool.dispose();
    this.opts.store.close();
  }
}

/** How stale the laggard flags a request sees may be (status always works them out afresh). */
const LAGGARD_REFRESH_MS = 100;

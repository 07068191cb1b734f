/**
 * The model pool, a supervisor that knows no backend by name: each model's state machine
 * (protocol/methods.ts ModelState), fetch on first use for models that need a file, loading (in
 * supervised worker processes for in-process models: daemon/worker/), periodic health checks of
 * servers, a circuit breaker, latency percentiles, and a concurrency limit with a bounded queue
 * per model. A config reload keeps models whose entry did not change.
 *
 * Loads are shared: a model is prepared once, under the pool's own lifetime, and each caller waits
 * with its own signal, so one request's cancellation or timeout never fails another request waiting
 * on the same load.
 *
 * Memory: before an in-process model is loaded, the pool plans every in-process model's memory
 * (memoryPlan.ts); a model that does not fit becomes `unavailable` with the reason and what to
 * change. In-process loads run one at a time, so each plan sees the models loaded before it.
 *
 * Hot changes (a config reload while requests run): a model replaced or removed by a config reload leaves the routing table at
 * once (new requests use the new entry), but its backend is disposed only once the calls running on
 * it have finished (drain.ts), or after the longest request deadline, so no request in flight fails.
 */
import fs from 'node:fs';
import type { ModelEntry, PoolConfig } from '../../protocol/config';
import { EnsembleError, asEnsembleError } from '../../protocol/errors';
import { formatSize as formatBytes } from '../../common/formatSize';
import type { ModelState, ModelStatus } from '../../protocol/methods';
import type { Backend, BackendEvent } from '../backends/backend';
import type { BackendFactory } from '../backends/backend';
import { raceAbort } from '../../common/abort';
import type { Logger } from '../log';
import { CircuitBreaker, DEFAULT_BREAKER, type BreakerSettings } from './circuitBreaker';
import { systemMemory, type MemoryProbe } from './machine';
import { planMemory, type MemoryPlan } from './memoryPlan';
import { planInputsOf } from './planInputs';
import { fetchModel, type FetchProgress } from './modelFetch';
import { createPoolModel, modelStatus, type PoolModel } from './poolModel';
import { Semaphore } from './semaphore';
import { InFlight, drainThenDispose } from './drain';
import { DEFAULT_LATENCY_WINDOW } from './latency';

export { systemMemory, type MemoryProbe, type PoolModel };

/** Default budget when `daemon.memoryBudgetMiB` is not set: this share of the machine's RAM. */
export const DEFAULT_BUDGET_SHARE = 0.9;

export type DownloadListener = (model: string, progress: FetchProgress & { done: boolean; error?: string }) => void;

export class Pool {
  private readonly models = new Map<string, PoolModel>();
  /** In-process loads one at a time: each memory plan sees what the previous load took. */
  private readonly loadLock = new Semaphore(1);
  private configPath = '';
  private budgetMiB: number | undefined;
  private lastPlan: MemoryPlan | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private health = { intervalMs: 15_000, timeoutMs: 5_000 };
  private breakerSettings: BreakerSettings = DEFAULT_BREAKER;
  /** Calls running (or queued) on each model, so a replaced model is disposed after its last one. */
  private readonly inFlight = new InFlight<PoolModel>();
  /** Models taken out of the table whose backend is disposed or being disposed: a late call goes to the new entry. */
  private readonly retired = new WeakSet<PoolModel>();
  /** Models out of the table whose calls are still finishing (disposed with the pool if it stops first). */
  private readonly draining = new Set<PoolModel>();
  /** How long a replaced model may keep running calls: the longest request deadline (plus slack). */
  private drainBoundMs = 61_000;
  /** Latencies kept per model (`daemon.laggards.window`): the one window status, laggards and adaptive timeouts read. */
  private latencyWindow = DEFAULT_LATENCY_WINDOW;
  /** Shortens a member's timeout from its observed latency (set by the service when adaptive timeouts are on). */
  private adaptTimeout: ((model: string, configuredMs: number) => number) | undefined;

  constructor(
    private readonly factory: BackendFactory,
    private readonly logger: Logger,
    private readonly onChange: (reason: string) => void = () => {},
    private readonly onDownload: DownloadListener = () => {},
    private readonly probe: MemoryProbe = systemMemory,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adopts a new config: disposes models that went away or changed, creates new ones. */
  apply(config: PoolConfig, configPath: string): void {
    this.configPath = configPath;
    this.budgetMiB = config.daemon.memoryBudgetMiB;
    const d = config.daemon;
    if (d.maxParallelMembers !== 4) {
      this.logger.warn('daemon.maxParallelMembers is deprecated and ignored: each model has its own "maxConcurrency" and "maxQueue"');
    }
    this.health = { intervalMs: d.healthIntervalMs ?? 15_000, timeoutMs: d.healthTimeoutMs ?? 5_000 };
    this.breakerSettings = {
      ...DEFAULT_BREAKER,
      failureThreshold: d.breakerThreshold ?? DEFAULT_BREAKER.failureThreshold,
      coolDownMs: d.breakerCoolDownMs ?? DEFAULT_BREAKER.coolDownMs,
    };
    this.drainBoundMs = Math.max(60_000, ...Object.values(config.ensembles).map((e) => e.deadlineMs ?? 60_000)) + 1_000;
    this.latencyWindow = d.laggards?.window ?? DEFAULT_LATENCY_WINDOW;
    for (const model of this.models.values()) model.latency.resize(this.latencyWindow);
    const next = new Map(config.models.map((m) => [m.id, m]));
    for (const [id, model] of this.models) {
      const entry = next.get(id);
      if (!entry || JSON.stringify(entry) !== JSON.stringify(model.entry)) this.remove(id, model);
    }
    for (const entry of config.models) if (!this.models.has(entry.id)) this.add(entry);
    this.scheduleHealthChecks();
    // Status shows the plan before anything loads (headers only, in the background).
    void this.replan().catch((e) => this.logger.debug(`memory plan: ${String(e)}`));
  }

  private add(entry: ModelEntry): void {
    const backend = this.factory(entry, { workerLog: (id, line) => this.logger.debug(`[worker ${id}] ${line}`) });
    const model = createPoolModel(entry, backend, this.breakerSettings, this.latencyWindow);
    backend.onEvent?.((e) => this.onBackendEvent(model, e));
    this.models.set(entry.id, model);
  }

  /**
   * Takes a model out of the table now; its calls in flight finish on it, then it is disposed (a
   * call still running after the drain bound fails as "unloaded", and the log says how many).
   */
  private remove(id: string, model: PoolModel): void {
    this.models.delete(id);
    const running = this.inFlight.count(model);
    this.draining.add(model);
    if (running > 0) this.logger.info(`model ${id} left the pool (config changed): disposed once its ${running} call(s) in flight finish`);
    void drainThenDispose(
      this.inFlight,
      model,
      async () => {
        this.retired.add(model);
        model.lifetime.abort(new EnsembleError('ModelUnavailable', `model "${id}" left the pool (config changed)`, { hint: 'ask again' }));
        await model.backend.dispose();
      },
      this.drainBoundMs,
      undefined,
      (e) => this.logger.warn(`disposing ${id}: ${String(e)}`),
    ).then(({ outcome, abandoned }) => {
      this.draining.delete(model);
      if (outcome === 'timeout')
        this.logger.warn(`model ${id}: ${abandoned} call(s) still running after ${this.drainBoundMs} ms were cut off`);
    });
  }

  /** Adaptive member timeouts on (a function of the model and its configured timeout) or off (undefined). */
  setTimeoutPolicy(adapt: ((model: string, configuredMs: number) => number) | undefined): void {
    this.adaptTimeout = adapt;
  }

  /**
   * A member's timeout for one call: the ensemble's, tightened by the model's own `timeoutMs`
   * (never loosened), then by the adaptive policy when it is on (which only ever shortens it).
   */
  memberTimeoutMs(id: string, ensembleTimeoutMs: number): number {
    const configured = Math.min(ensembleTimeoutMs, this.models.get(id)?.entry.timeoutMs ?? Infinity);
    const adapted = this.adaptTimeout?.(id, configured) ?? configured;
    return Number.isFinite(adapted) && adapted > 0 ? Math.min(configured, adapted) : configured;
  }

  get(id: string): PoolModel | undefined {
    return this.models.get(id);
  }

  /** Prepares every model in the background (fetch + load), so the first request is fast. */
  warmUp(): void {
    for (const id of this.models.keys()) void this.prepare(id).catch(() => {});
  }

  /** Tries `failed`/`unavailable` models again (one, or all): forgets crashes and breaker state, reloads in the background. */
  reload(id?: string): string[] {
    const out: string[] = [];
    for (const model of this.models.values()) {
      if (id !== undefined && model.entry.id !== id) continue;
      if (!['failed', 'unavailable', 'coolingDown', 'error', 'idle'].includes(model.state)) continue;
      model.backend.reset?.();
      model.breaker = new CircuitBreaker(this.breakerSettings);
      this.setState(model, 'idle');
      void this.prepare(model.entry.id).catch(() => {});
      out.push(model.entry.id);
    }
    if (id !== undefined && !this.models.has(id)) throw new EnsembleError('NotFound', `no model "${id}" in the pool`);
    return out;
  }

  /**
   * The model once it can serve. Throws ModelUnavailable (with the reason and what to set) when it
   * cannot; a download in progress is reported, not waited for; an open breaker fails fast.
   */
  async ready(id: string, signal: AbortSignal): Promise<PoolModel> {
    const model = this.models.get(id);
    if (!model) throw new EnsembleError('ModelUnavailable', `no model "${id}" in the pool`);
    if (model.state === 'failed') throw this.unavailableError(model);
    if (model.breaker.state(this.now()) === 'open') {
      const retryAfterMs = model.breaker.retryInMs(this.now());
      throw new EnsembleError(
        'ModelUnavailable',
        `${id}: cooling down after ${model.breaker.failures} failures (${model.reason ?? 'failing'}); next try in ${Math.ceil(retryAfterMs / 1000)} s`,
        {
          retryAfterMs,
        },
      );
    }
    if (model.state === 'ready' || model.state === 'busy') return model;
    if (model.state === 'downloading') throw this.unavailableError(model);
    await raceAbort(signal, () => this.prepare(id));
    // Replaced while it loaded (config reload): the request goes to the new entry.
    if (this.models.get(id) !== model) return this.ready(id, signal);
    const after = model.state as ModelState; // prepare() moved it on
    if (after !== 'ready' && after !== 'busy') throw this.unavailableError(model);
    return model;
  }

  private unavailableError(model: PoolModel): EnsembleError {
    const { id } = model.entry;
    return new EnsembleError(
      'ModelUnavailable',
      `${id}: ${model.reason ?? model.state}${model.hint ? `; ${model.hint}` : ''}`,
      model.hint ? { hint: model.hint } : undefined,
    );
  }

  /**
   * Runs one call on a model under its concurrency limit and bounded queue (BackendBusy past it),
   * counting requests, failures and latency, and feeding its circuit breaker. The latency is the
   * call's time here, its wait in the model's queue included (what a vote waits for), recorded for
   * answered calls and for calls cut off by a timeout; not for failures or the caller's cancel.
   */
  async call<T>(model: PoolModel, signal: AbortSignal, task: (backend: Backend) => Promise<T>): Promise<T> {
    // Replaced between ready() and here and already disposed: the call goes to the new entry.
    if (this.retired.has(model)) return this.call(await this.ready(model.entry.id, signal), signal, task);
    const done = this.inFlight.begin(model);
    const entered = performance.now();
    return model.limiter
      .run(signal, async () => {
        model.requests++;
        try {
          const value = await task(model.backend);
          model.latency.record(performance.now() - entered);
          model.breaker.success();
          if (model.state === 'coolingDown' || model.state === 'unavailable') this.setState(model, 'ready');
          return value;
        } catch (e) {
          model.failures++;
          const err = asEnsembleError(e, 'BackendError');
          // The caller's own cancel or timeout says nothing about the member; bad input neither.
          if (signal.aborted || err.kind === 'RequestCancelled' || err.kind === 'BadInput') model.breaker.release();
          else this.recordFailure(model, err.message);
          throw e;
        }
      })
      .catch((e: unknown) => {
        if (signal.aborted && asEnsembleError(signal.reason, 'RequestCancelled').kind === 'Timeout')
          model.latency.record(performance.now() - entered);
        throw e;
      })
      .finally(done);
  }

  /** Each model's latency window (oldest first), for the laggard detector. */
  latencies(): Map<string, readonly number[]> {
    return new Map([...this.models].map(([id, m]) => [id, m.latency.samples()]));
  }

  /** One model's latency window (empty when it is not in the pool), for adaptive timeouts. */
  latencySamples(id: string): readonly number[] {
    return this.models.get(id)?.latency.samples() ?? [];
  }

  private recordFailure(model: PoolModel, reason: string): void {
    model.breaker.failure(this.now());
    if (model.breaker.state(this.now()) === 'open' && model.state !== 'failed') {
      this.setState(model, 'coolingDown', reason, `retried by itself in ${Math.ceil(model.breaker.retryInMs(this.now()) / 1000)} s`);
    }
  }

  private prepare(id: string): Promise<void> {
    const model = this.models.get(id);
    if (!model) return Promise.resolve();
    model.preparing ??= this.doPrepare(model).finally(() => {
      model.preparing = undefined;
    });
    return model.preparing;
  }

  private async doPrepare(model: PoolModel): Promise<void> {
    const { entry, traits } = model;
    const signal = model.lifetime.signal;
    if (model.state === 'failed') return;
    const download = traits.download;
    if (download && !fs.existsSync(download.path)) {
      this.setState(model, 'downloading', `downloading from ${download.url}`);
      try {
        await fetchModel(download.url, download.path, {
          sha256: download.sha256,
          signal,
          onProgress: (p) => {
            const pct = p.totalBytes ? ` ${((100 * p.receivedBytes) / p.totalBytes).toFixed(0)}%` : '';
            this.onDownload(entry.id, { ...p, done: false });
            model.reason = `downloading${pct} (${formatBytes(p.receivedBytes)}${p.totalBytes ? ` of ${formatBytes(p.totalBytes)}` : ''}) from ${download.url}`;
          },
        });
        this.onDownload(entry.id, { receivedBytes: 0, totalBytes: null, done: true });
        this.logger.info(`${entry.id}: downloaded ${download.url} to ${download.path}`);
      } catch (e) {
        this.onDownload(entry.id, { receivedBytes: 0, totalBytes: null, done: true, error: (e as Error).message });
        this.setState(
          model,
          'unavailable',
          (e as Error).message,
          `put the model file at ${download.path}, or set "path" of model "${entry.id}" in ${this.configPath} to a local file`,
        );
        return;
      }
    }
    if (model.state !== 'ready' && model.state !== 'busy') this.setState(model, 'loading', 'loading');
    if (!traits.local) return this.checkHealth(model, signal);
    await this.loadLock.run(signal, async () => {
      const plan = await this.replan(model);
      const mine = plan.models.find((p) => p.id === entry.id);
      if (mine && !mine.fits) {
        this.setState(
          model,
          'unavailable',
          `does not fit in memory: ${mine.reason ?? ''}`,
          `${mine.hint ?? ''}${this.configPath ? ` (in ${this.configPath})` : ''}`,
        );
        return;
      }
      // The plan decided how many layers go to the GPU ("auto" resolved against free VRAM): load so.
      if (mine?.local) model.backend.applyPlacement?.({ gpuLayers: mine.gpuLayers });
      await this.checkHealth(model, signal);
    });
  }

  private async checkHealth(model: PoolModel, signal: AbortSignal): Promise<void> {
    const timeout = model.traits.local ? undefined : AbortSignal.timeout(this.health.timeoutMs);
    const health = await model.backend.health(timeout ? AbortSignal.any([signal, timeout]) : signal);
    if (signal.aborted || this.models.get(model.entry.id) !== model) return;
    if (health.ok) {
      model.memoryBytes = health.memoryBytes ?? model.memoryBytes;
      model.runtime = health.runtime ?? model.runtime;
      model.breaker.success();
      this.setState(model, 'ready');
      return;
    }
    const reason = timeout?.aborted ? `no answer to its health check within ${this.health.timeoutMs} ms` : (health.reason ?? 'unavailable');
    // A crash while loading was already reported by its event (coolingDown / failed): keep that state.
    if (model.state === 'coolingDown' || model.state === 'failed') return;
    if (!model.traits.local) {
      model.breaker.failure(this.now());
      if (model.breaker.state(this.now()) === 'open') {
        this.setState(model, 'coolingDown', reason, `checked again in ${Math.ceil(model.breaker.retryInMs(this.now()) / 1000)} s`);
        return;
      }
    }
    this.setState(model, 'unavailable', reason, health.hint);
  }

  private onBackendEvent(model: PoolModel, e: BackendEvent): void {
    if (this.models.get(model.entry.id) !== model) return;
    model.runtime = undefined;
    if (e.type === 'failed') {
      this.setState(model, 'failed', e.reason, e.hint);
      return;
    }
    this.setState(model, 'coolingDown', e.reason, `restarting in ${(e.restartInMs / 1000).toFixed(1)} s`);
    // Load it again once the backoff is over, so the next request finds it ready.
    const timer = setTimeout(() => {
      if (this.models.get(model.entry.id) === model && model.state === 'coolingDown') void this.prepare(model.entry.id).catch(() => {});
    }, e.restartInMs);
    timer.unref();
  }

  /** Periodic health checks of servers: a server that goes away or stops answering is noticed before a request is. */
  private scheduleHealthChecks(): void {
    clearInterval(this.healthTimer);
    this.healthTimer = setInterval(() => {
      for (const model of this.models.values()) {
        if (model.traits.local || model.preparing || model.state === 'idle' || model.state === 'failed') continue;
        if (!model.breaker.tryPass(this.now())) continue;
        model.preparing = this.checkHealth(model, model.lifetime.signal)
          .catch((e) => this.logger.debug(`health check of ${model.entry.id}: ${String(e)}`))
          .finally(() => {
            model.preparing = undefined;
          });
      }
    }, this.health.intervalMs);
    this.healthTimer.unref();
  }

  /** The budget in bytes: `daemon.memoryBudgetMiB`, else 90% of the machine's RAM. */
  private budgetBytes(): number {
    return this.budgetMiB !== undefined ? this.budgetMiB * 2 ** 20 : Math.floor(DEFAULT_BUDGET_SHARE * this.probe.totalRamBytes());
  }

  /**
   * Plans every model's memory, `target` included even when it failed before. Models that cannot
   * load (no valid file yet, or refused earlier) take nothing; loaded models keep their place.
   * Free RAM and VRAM are what the machine reports now, plus what our loaded models hold (their KV
   * cache in RAM: mmapped weights still count as free; their VRAM), so they are not counted twice.
   */
  private async replan(target?: PoolModel): Promise<MemoryPlan> {
    const entries = [...this.models.values()];
    const isLoaded = (m: PoolModel) => m.state === 'ready' || m.state === 'busy';
    const planned = entries.filter((m) => {
      const refused = m.state === 'unavailable' || m.state === 'error' || m.state === 'failed';
      return !(m.traits.local && !isLoaded(m) && m !== target && refused);
    });
    // Adapter members over one base share one worker: its weights are charged to one of them.
    const { inputs, charged } = await planInputsOf(
      planned.map((m) => ({ entry: m.entry, backend: m.backend, traits: m.traits, loaded: isLoaded(m) })),
    );
    let ramHeld = 0;
    let vramHeld = 0;
    let wantsGpu = false;
    for (const m of planned) {
      const needs = charged.get(m.entry.id);
      if (!needs) continue;
      wantsGpu ||= needs.gpuLayers !== 0;
      if (!isLoaded(m)) m.memoryBytes = needs.weightsBytes + needs.kvCacheBytes + (needs.computeBytes ?? 0);
      else {
        ramHeld += needs.kvCacheBytes + (needs.computeBytes ?? 0);
        vramHeld += m.plannedVramBytes ?? 0;
      }
    }
    const gpu = await this.probe.gpu(wantsGpu);
    const plan = planMemory(inputs, {
      freeRamBytes: this.probe.freeRamBytes() + ramHeld,
      gpuFreeBytes: gpu.freeBytes + vramHeld,
      budgetBytes: this.budgetBytes(),
      unifiedMemory: gpu.unified,
    });
    const byId = new Map(plan.models.map((p) => [p.id, p]));
    for (const m of entries) {
      const p = byId.get(m.entry.id);
      m.placement = p?.fits ? p.placement : undefined;
      if (p?.fits && p.local && m.state !== 'ready') m.plannedVramBytes = p.vramBytes;
    }
    this.lastPlan = plan;
    return plan;
  }

  private setState(model: PoolModel, state: ModelState, reason?: string, hint?: string): void {
    const changed = model.state !== state;
    model.state = state;
    model.reason = reason;
    model.hint = hint;
    if (changed) {
      const level = ['unavailable', 'error', 'failed', 'coolingDown'].includes(state) ? 'warn' : 'info';
      this.logger.log(level, `model ${model.entry.id}: ${state}${reason && state !== 'loading' ? ` (${reason})` : ''}`);
      this.onChange(`model ${model.entry.id} ${state}`);
    }
  }

  status(weightOf: (id: string) => number): ModelStatus[] {
    const now = this.now();
    return [...this.models.values()].map((m) => modelStatus(m, weightOf(m.entry.id), now));
  }

  /** What in-process models take or will take (the last plan), against the machine's memory and the budget. */
  memoryPlan(): { totalBytes: number; freeBytes: number; plannedBytes: number; budgetBytes: number; gpuFreeBytes: number } {
    let plannedBytes = 0;
    if (this.lastPlan) plannedBytes = this.lastPlan.plannedBytes;
    else for (const m of this.models.values()) plannedBytes += m.memoryBytes ?? 0;
    return {
      totalBytes: this.probe.totalRamBytes(),
      freeBytes: this.probe.freeRamBytes(),
      plannedBytes,
      budgetBytes: this.budgetBytes(),
      gpuFreeBytes: this.lastPlan?.gpuFreeBytes ?? 0,
    };
  }

  ids(): string[] {
    return [...this.models.keys()];
  }

  async dispose(): Promise<void> {
    clearInterval(this.healthTimer);
    for (const m of this.models.values()) m.lifetime.abort(new EnsembleError('ModelUnavailable', 'the daemon is stopping'));
    for (const m of this.draining) this.retired.add(m);
    await Promise.allSettled([...this.models.values(), ...this.draining].map((m) => m.backend.dispose()));
    this.models.clear();
    this.draining.clear();
  }
}

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
import path from 'node:path';
import type { ModelEntry, PoolConfig } from '../../protocol/config';
import { EnsembleError, asEnsembleError } from '../../protocol/errors';
import { formatSize as formatBytes } from '../../common/formatSize';
import type { ModelState, ModelStatus } from '../../protocol/methods';
import type { Backend, BackendEvent, BackendTraits } from '../backends/backend';
import type { BackendFactory } from '../backends/backend';
import { raceAbort } from '../../common/abort';
import type { Logger } from '../process/log';
import { CircuitBreaker, DEFAULT_BREAKER, type BreakerSettings } from './circuitBreaker';
import { systemMemory, type MemoryProbe } from './machine';
import { planMemory, type MemoryPlan } from './memoryPlan';
import { planInputsOf } from './planInputs';
import { fetchModel, type FetchProgress } from './modelFetch';
import { checkPinnedFile, rememberVerified } from './fileIntegrity';
import { backoffDelay } from '../../common/restartPolicy';
import { createPoolModel, modelStatus, type PoolModel } from './poolModel';
import { Semaphore } from './semaphore';
import { InFlight, drainThenDispose } from './drain';
import { DEFAULT_LATENCY_WINDOW } from './latency';
import { LaggardWatch } from './laggardWatch';
import type { ChangeHint } from './changeHint';

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
  /** Laggards and adaptive member timeouts, from the latency windows and `daemon.laggards`. */
  readonly laggards = new LaggardWatch(
    () => this.latencies(),
    (id) => this.latencySamples(id),
  );
  /** Replaces the adaptive timeout of `daemon.laggards` (a test's fixed policy), until the next config. */
  private adaptTimeout: ((model: string, configuredMs: number) => number) | undefined;
  /** `ask`: downloads wait for `approveDownloads` (the extension's first run); `auto`: they start when needed. */
  private downloadApproval: 'auto' | 'ask' = 'auto';
  /** Where verified sha256s of model files are cached by (size, mtime); unset: every pinned file is hashed. */
  private integrityCache: string | undefined;

  constructor(
    private readonly factory: BackendFactory,
    private readonly logger: Logger,
    private readonly onChange: (hint: ChangeHint) => void = () => {},
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
    this.laggards.configure(d.laggards);
    this.adaptTimeout = undefined;
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
    // A model added by a reload, whose file must be fetched: said at once (status, pool/changed), so a
    // client can ask for approval before anyone needs it. Without approval mode it loads on first use, as before.
    const download = model.traits.download;
    if (this.downloadApproval === 'ask' && download && !fs.existsSync(download.path)) void this.prepare(entry.id).catch(() => {});
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

  /** Whether downloads wait for approval (ENSEMBLE_DOWNLOADS=ask, set by the extension) or start when needed. */
  setDownloadApproval(mode: 'auto' | 'ask'): void {
    this.downloadApproval = mode;
  }

  /** The JSON file (in the ensemble home) caching the sha256 of pinned model files by size and mtime. */
  setIntegrityCache(file: string): void {
    this.integrityCache = file;
  }

  /** A fixed adaptive policy in place of the configured one (a function of the model and its configured timeout), or the configured one (undefined). */
  setTimeoutPolicy(adapt: ((model: string, configuredMs: number) => number) | undefined): void {
    this.adaptTimeout = adapt;
  }

  /**
   * A member's timeout for one call: the ensemble's, tightened by the model's own `timeoutMs`
   * (never loosened), then by the adaptive policy when it is on (which only ever shortens it).
   */
  memberTimeoutMs(id: string, ensembleTimeoutMs: number): number {
    const configured = Math.min(ensembleTimeoutMs, this.models.get(id)?.entry.timeoutMs ?? Infinity);
    const adapted = this.adaptTimeout ? this.adaptTimeout(id, configured) : this.laggards.adaptTimeout(id, configured);
    return Number.isFinite(adapted) && adapted > 0 ? Math.min(configured, adapted) : configured;
  }

  /** True when the model loads in this machine's workers (its load is exempt from the member timeout). */
  isLocal(id: string): boolean {
    return this.models.get(id)?.traits.local ?? false;
  }

  /** True when calls to this model settle as soon as their signal fires (its backend says so). */
  settlesOnAbort(model: PoolModel): boolean {
    return model.traits.settlesOnAbort === true;
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
      model.integrity = undefined; // the user fixed the file or the config: look at it now
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
    if (model.download) throw this.downloadingError(model);
    await raceAbort(signal, () => this.prepare(id));
    // Replaced while it loaded (config reload): the request goes to the new entry.
    if (this.models.get(id) !== model) return this.ready(id, signal);
    if (model.download) throw this.downloadingError(model);
    const after = model.state as ModelState; // prepare() moved it on
    if (after !== 'ready' && after !== 'busy') throw this.unavailableError(model);
    return model;
  }

  /** A download in progress or waiting for approval is said to be so, with how far it is: not a silent timeout. */
  private downloadingError(model: PoolModel): EnsembleError {
    const d = model.download!;
    const percent = d.totalBytes ? Math.floor((100 * d.receivedBytes) / d.totalBytes) : null;
    return new EnsembleError('ModelDownloading', `${model.entry.id}: ${model.reason ?? 'downloading'}`, {
      receivedBytes: d.receivedBytes,
      totalBytes: d.totalBytes,
      percent,
      awaitingApproval: d.awaitingApproval,
      ...(model.hint ? { hint: model.hint } : {}),
    });
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
    if (download && !fs.existsSync(download.path) && !(await this.downloadFile(model, download, signal))) return;
    if (traits.pinned && !(await this.pinnedFileMatches(model, traits.pinned, signal))) return;
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

  /**
   * Fetches the model's file (resuming a kept `.part`), reporting progress in status and through
   * `pool/changed` at each whole percent. When downloads need approval and have none yet, it only
   * records what it would fetch and waits. A cancel (`pool/cancelDownload`) keeps the `.part` and
   * puts the download back to waiting. True when the file is in place.
   */
  private async downloadFile(model: PoolModel, download: NonNullable<BackendTraits['download']>, signal: AbortSignal): Promise<boolean> {
    const { entry } = model;
    const partBytes = fileSize(`${download.path}.part`);
    if (this.downloadApproval === 'ask') {
      model.download = { receivedBytes: partBytes, totalBytes: download.sizeBytes ?? null, awaitingApproval: true, path: download.path };
      const size = download.sizeBytes ? formatBytes(download.sizeBytes) : 'a file of unknown size';
      this.setState(
        model,
        'idle',
        `waiting for approval to download ${size} from ${download.url} into ${path.dirname(download.path)}`,
        'approve it in VS Code ("Ensemble: Download Models") or run "ensemble pool download"',
      );
      this.onChange({ kind: 'member', id: entry.id, reason: `model ${entry.id} waits for download approval` }); // the state may have been idle already
      return false;
    }
    const cancel = new AbortController();
    model.download = {
      receivedBytes: partBytes,
      totalBytes: download.sizeBytes ?? null,
      awaitingApproval: false,
      path: download.path,
      cancel,
    };
    this.setState(model, 'downloading', `downloading from ${download.url}`);
    let shownPercent = -1;
    try {
      await fetchModel(download.url, download.path, {
        sha256: download.sha256,
        signal: AbortSignal.any([signal, cancel.signal]),
        onProgress: (p) => {
          const totalBytes = p.totalBytes ?? download.sizeBytes ?? null;
          model.download = { ...model.download!, receivedBytes: p.receivedBytes, totalBytes };
          const pct = totalBytes ? Math.floor((100 * p.receivedBytes) / totalBytes) : -1;
          this.onDownload(entry.id, { ...p, done: false });
          model.reason = `downloading${pct >= 0 ? ` ${pct}%` : ''} (${formatBytes(p.receivedBytes)}${totalBytes ? ` of ${formatBytes(totalBytes)}` : ''}) from ${download.url}`;
          if (pct !== shownPercent) {
            shownPercent = pct;
            this.onChange({ kind: 'member', id: entry.id, reason: `model ${entry.id} downloading` });
          }
        },
      });
    } catch (e) {
      this.onDownload(entry.id, { receivedBytes: 0, totalBytes: null, done: true, error: (e as Error).message });
      if (cancel.signal.aborted && !signal.aborted) {
        model.download = { ...model.download!, awaitingApproval: true, cancel: undefined };
        this.setState(
          model,
          'idle',
          `download cancelled at ${formatBytes(model.download.receivedBytes)}; the partial file is kept and resumed`,
        );
        return false;
      }
      model.download = undefined;
      this.setState(
        model,
        'unavailable',
        (e as Error).message,
        `put the model file at ${download.path}, or set "path" of model "${entry.id}" in ${this.configPath} to a local file`,
      );
      return false;
    }
    model.download = undefined;
    this.onDownload(entry.id, { receivedBytes: 0, totalBytes: null, done: true });
    this.logger.info(`${entry.id}: downloaded ${download.url} to ${download.path}`);
    // fetchModel checked the digest: the first load need not read the file again.
    if (download.sha256 && this.integrityCache) rememberVerified(this.integrityCache, download.path, download.sha256);
    return true;
  }

  /** Starts the downloads waiting for approval (all, or those named); from now on downloads start by themselves. */
  approveDownloads(ids?: string[]): string[] {
    this.downloadApproval = 'auto';
    const waiting = this.modelsNamed(ids, (m) => m.download?.awaitingApproval === true);
    for (const model of waiting) void this.prepare(model.entry.id).catch(() => {});
    return waiting.map((m) => m.entry.id);
  }

  /** Stops downloads in progress (the `.part` stays); they, and any not yet started, wait for approval again. */
  cancelDownloads(ids?: string[]): string[] {
    this.downloadApproval = 'ask';
    const running = this.modelsNamed(ids, (m) => m.download?.cancel !== undefined);
    for (const model of running) model.download!.cancel!.abort(new EnsembleError('RequestCancelled', 'download cancelled'));
    return running.map((m) => m.entry.id);
  }

  private modelsNamed(ids: string[] | undefined, pick: (m: PoolModel) => boolean): PoolModel[] {
    return [...this.models.values()].filter((m) => (!ids || ids.includes(m.entry.id)) && pick(m));
  }

  /**
   * A file already on disk with a pinned sha256 is checked before its first load (cached by size
   * and mtime). A mismatch makes the model unavailable with both digests; it is not downloaded
   * again (the file may be the user's), and is looked at again only after a backoff, when a
   * changed file (new size or mtime) is hashed afresh.
   */
  private async pinnedFileMatches(model: PoolModel, pinned: { path: string; sha256: string }, signal: AbortSignal): Promise<boolean> {
    if (model.state === 'ready' || model.state === 'busy' || !fs.existsSync(pinned.path)) return true;
    if (model.integrity && this.now() < model.integrity.retryAt) return false;
    if (model.state !== 'unavailable') this.setState(model, 'loading', `checking the sha256 of ${pinned.path}`);
    let result;
    try {
      result = await checkPinnedFile(pinned.path, pinned.sha256, this.integrityCache, signal);
    } catch (e) {
      if (signal.aborted) return false;
      this.setState(model, 'unavailable', `cannot read ${pinned.path} to check its sha256: ${(e as Error).message}`);
      return false;
    }
    if (result.hashed) this.logger.info(`${model.entry.id}: sha256 of ${pinned.path} checked (${result.ok ? 'matches' : 'MISMATCH'})`);
    if (result.ok) {
      model.integrity = undefined;
      return true;
    }
    const failures = (model.integrity?.failures ?? 0) + 1;
    model.integrity = { failures, retryAt: this.now() + backoffDelay(failures - 1, { baseMs: 5_000, maxMs: 10 * 60_000 }) };
    const reason = `${pinned.path} has sha256 ${result.actual}, but the config pins ${pinned.sha256}: not the configured file (corrupt, truncated or replaced)`;
    this.logger.warn(`${model.entry.id}: ${reason}`);
    this.setState(
      model,
      'unavailable',
      reason,
      `delete the file${model.traits.download ? ' to download it again' : ''}, or correct "sha256" of model "${model.entry.id}" in ${this.configPath}`,
    );
    return false;
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
      this.onChange({ kind: 'member', id: model.entry.id, reason: `model ${model.entry.id} ${state}` });
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

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

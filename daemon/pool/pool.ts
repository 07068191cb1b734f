/**
 * The pool of models: one backend per config entry, its state (ready, loading, unavailable...),
 * fetch-on-first-use for GGUF files that have a `url`, per-model and global concurrency limits,
 * counters, and the memory plan. A config reload keeps models whose entry did not change.
 *
 * Memory: before an in-process model is loaded, the pool plans every in-process model's memory
 * (memoryPlan.ts: estimates from the GGUF header, free RAM, free VRAM, `daemon.memoryBudgetMiB`);
 * a model that does not fit becomes `unavailable` with the reason and what to change, instead of
 * being loaded into an out-of-memory kill. In-process loads run one at a time, so each plan sees
 * the models loaded before it.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { LlamaCppModelEntry, ModelEntry, PoolConfig } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import type { ModelState, ModelStatus } from '../../protocol/methods';
import type { Backend } from '../backends/backend';
import type { BackendFactory } from '../backends/createBackend';
import { checkGguf, estimateMemoryBytes, kvCacheBytes, type GgufSummary } from '../backends/ggufCheck';
import { sharedLlama } from '../backends/llamaCpp';
import type { Logger } from '../log';
import { planMemory, type MemoryPlan, type PlanModelInput } from './memoryPlan';
import { formatSize as formatBytes } from '../../protocol/formatSize';
import { fetchModel, type FetchProgress } from './modelFetch';
import { Semaphore } from './semaphore';

/** What the machine has; injectable for tests. */
export interface MemoryProbe {
  totalRamBytes(): number;
  freeRamBytes(): number;
  /** Free VRAM of the GPU the given models would use (0 when none), and whether it is unified with RAM. */
  gpu(models: readonly LlamaCppModelEntry[]): Promise<{ freeBytes: number; unified: boolean }>;
}

/** os for RAM; node-llama-cpp's VRAM state when a model asks for GPU offload and a GPU is in use. */
export const systemMemory: MemoryProbe = {
  totalRamBytes: () => os.totalmem(),
  freeRamBytes: () => os.freemem(),
  async gpu(models) {
    if (!models.some((m) => m.gpuLayers !== 0)) return { freeBytes: 0, unified: false };
    try {
      const llama = await sharedLlama({ gpu: 'auto' });
      if (llama.gpu === false) return { freeBytes: 0, unified: false };
      const vram = await llama.getVramState();
      return { freeBytes: vram.free, unified: vram.unifiedSize > 0 };
    } catch {
      return { freeBytes: 0, unified: false };
    }
  },
};

/** Default budget when `daemon.memoryBudgetMiB` is not set: this share of the machine's RAM. */
export const DEFAULT_BUDGET_SHARE = 0.9;

export interface PoolModel {
  entry: ModelEntry;
  backend: Backend;
  state: ModelState;
  reason?: string;
  hint?: string;
  memoryBytes?: number;
  /** Where the memory plan put it ("cpu", "gpu 12/24 layers"). */
  placement?: string;
  /** VRAM the plan gave it, counted back as ours once it is loaded. */
  plannedVramBytes?: number;
  requests: number;
  failures: number;
  limiter: Semaphore;
  /** In-flight preparation (download + load), shared by concurrent callers. */
  preparing?: Promise<void>;
}

export type DownloadListener = (model: string, progress: FetchProgress & { done: boolean; error?: string }) => void;

export class Pool {
  private readonly models = new Map<string, PoolModel>();
  private readonly global = new Semaphore(4);
  /** In-process loads one at a time: each memory plan sees what the previous load took. */
  private readonly loadLock = new Semaphore(1);
  private configPath = '';
  private budgetMiB: number | undefined;
  private lastPlan: MemoryPlan | undefined;
  private readonly summaries = new Map<string, { size: number; mtimeMs: number; summary: GgufSummary }>();

  constructor(
    private readonly factory: BackendFactory,
    private readonly logger: Logger,
    private readonly onChange: (reason: string) => void = () => {},
    private readonly onDownload: DownloadListener = () => {},
    private readonly probe: MemoryProbe = systemMemory,
  ) {}

  /** Adopts a new config: disposes models that went away or changed, creates new ones. */
  apply(config: PoolConfig, configPath: string): void {
    this.configPath = configPath;
    this.global.setCapacity(config.daemon.maxParallelMembers);
    this.budgetMiB = config.daemon.memoryBudgetMiB;
    const next = new Map(config.models.map((m) => [m.id, m]));
    for (const [id, model] of this.models) {
      const entry = next.get(id);
      if (!entry || JSON.stringify(entry) !== JSON.stringify(model.entry)) {
        this.models.delete(id);
        void model.backend.dispose().catch((e) => this.logger.warn(`disposing ${id}: ${String(e)}`));
      }
    }
    for (const entry of config.models) {
      if (this.models.has(entry.id)) continue;
      const defaultConcurrency = entry.backend === 'llama.cpp' ? 1 : 4;
      this.models.set(entry.id, {
        entry,
        backend: this.factory(entry),
        state: 'idle',
        requests: 0,
        failures: 0,
        limiter: new Semaphore(entry.maxConcurrency ?? defaultConcurrency),
      });
    }
    // Status shows the plan before anything loads (headers only, in the background).
    void this.replan().catch((e) => this.logger.debug(`memory plan: ${String(e)}`));
  }

  get(id: string): PoolModel | undefined {
    return this.models.get(id);
  }

  /** Prepares every model in the background (fetch + load), so the first request is fast. */
  warmUp(): void {
    for (const id of this.models.keys()) void this.prepare(id, new AbortController().signal).catch(() => {});
  }

  /**
   * The model's backend once it can serve. Throws ModelUnavailable (with the reason and what to
   * set) when it cannot; a download in progress is reported, not waited for.
   */
  async ready(id: string, signal: AbortSignal): Promise<PoolModel> {
    const model = this.models.get(id);
    if (!model) throw new EnsembleError('ModelUnavailable', `no model "${id}" in the pool`);
    if (model.state === 'ready') return model;
    if (model.state === 'loading' && model.reason?.startsWith('downloading')) {
      throw new EnsembleError('ModelUnavailable', `${id}: ${model.reason}`);
    }
    await this.prepare(id, signal);
    if ((model.state as ModelState) !== 'ready') {
      throw new EnsembleError('ModelUnavailable', `${id}: ${model.reason ?? 'unavailable'}${model.hint ? `; ${model.hint}` : ''}`);
    }
    return model;
  }

  /** Runs one call on a model under its concurrency limits, counting requests and failures. */
  async call<T>(model: PoolModel, signal: AbortSignal, task: (backend: Backend) => Promise<T>): Promise<T> {
    return this.global.run(signal, () =>
      model.limiter.run(signal, async () => {
        model.requests++;
        try {
          return await task(model.backend);
        } catch (e) {
          model.failures++;
          throw e;
        }
      }),
    );
  }

  private prepare(id: string, signal: AbortSignal): Promise<void> {
    const model = this.models.get(id);
    if (!model) return Promise.resolve();
    model.preparing ??= this.doPrepare(model, signal).finally(() => {
      model.preparing = undefined;
    });
    return model.preparing;
  }

  private async doPrepare(model: PoolModel, signal: AbortSignal): Promise<void> {
    const { entry } = model;
    if (entry.backend === 'llama.cpp' && entry.url && entry.path && !fs.existsSync(entry.path)) {
      this.setState(model, 'loading', `downloading from ${entry.url}`);
      try {
        await fetchModel(entry.url, entry.path, {
          sha256: entry.sha256,
          onProgress: (p) => {
            const pct = p.totalBytes ? ` ${((100 * p.receivedBytes) / p.totalBytes).toFixed(0)}%` : '';
            this.onDownload(entry.id, { ...p, done: false });
            model.reason = `downloading${pct} (${formatBytes(p.receivedBytes)}${p.totalBytes ? ` of ${formatBytes(p.totalBytes)}` : ''}) from ${entry.url}`;
          },
        });
        this.onDownload(entry.id, { receivedBytes: 0, totalBytes: null, done: true });
        this.logger.info(`${entry.id}: downloaded ${entry.url} to ${entry.path}`);
      } catch (e) {
        this.onDownload(entry.id, { receivedBytes: 0, totalBytes: null, done: true, error: (e as Error).message });
        this.setState(model, 'unavailable', (e as Error).message,
          `put the GGUF file at ${entry.path}, or set "path" of model "${entry.id}" in ${this.configPath} to a local GGUF file`);
        return;
      }
    }
    if (model.state !== 'ready') this.setState(model, 'loading', 'loading');
    if (entry.backend !== 'llama.cpp' || model.state === 'ready') return this.checkHealth(model, signal);
    await this.loadLock.run(signal, async () => {
      if (this.models.get(entry.id) !== model) {
        // Replaced by a config reload meanwhile (its backend is disposed): its waiters get this reason.
        Object.assign(model, { state: 'unavailable', reason: 'the config changed while it waited to load', hint: 'ask again' });
        return;
      }
      const plan = await this.replan(model);
      const mine = plan.models.find((p) => p.id === entry.id);
      if (mine && !mine.fits) {
        this.setState(model, 'unavailable', `does not fit in memory: ${mine.reason ?? ''}`,
          `${mine.hint ?? ''}${this.configPath ? ` (in ${this.configPath})` : ''}`);
        return;
      }
      // The plan decided how many layers go to the GPU ("auto" resolved against free VRAM): load so.
      if (mine?.local) model.backend.applyPlacement?.({ gpuLayers: mine.gpuLayers });
      await this.checkHealth(model, signal);
    });
  }

  private async checkHealth(model: PoolModel, signal: AbortSignal): Promise<void> {
    const health = await model.backend.health(signal);
    if (health.ok) {
      model.memoryBytes = health.memoryBytes ?? model.memoryBytes;
      this.setState(model, 'ready');
    } else {
      this.setState(model, 'unavailable', health.reason ?? 'unavailable', health.hint);
    }
  }

  /** The budget in bytes: `daemon.memoryBudgetMiB`, else 90% of the machine's RAM. */
  private budgetBytes(): number {
    return this.budgetMiB !== undefined ? this.budgetMiB * 2 ** 20 : Math.floor(DEFAULT_BUDGET_SHARE * this.probe.totalRamBytes());
  }

  /** The GGUF header of a model's file (cached while the file is unchanged); undefined when there is no valid file yet. */
  private async summaryOf(path: string): Promise<GgufSummary | undefined> {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(path);
    } catch {
      return undefined;
    }
    const cached = this.summaries.get(path);
    if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached.summary;
    const check = await checkGguf(path);
    if (!check.ok) {
      this.summaries.delete(path);
      return undefined;
    }
    this.summaries.set(path, { size: st.size, mtimeMs: st.mtimeMs, summary: check.summary });
    return check.summary;
  }

  /**
   * Plans every model's memory, `target` included even when it failed before. Models that cannot
   * load (no valid file yet, or refused earlier) take nothing; loaded models keep their place.
   * Free RAM and VRAM are what the machine reports now, plus what our loaded models hold (their KV
   * cache in RAM: mmapped weights still count as free; their VRAM), so they are not counted twice.
   */
  private async replan(target?: PoolModel): Promise<MemoryPlan> {
    const entries = [...this.models.values()];
    const inputs: PlanModelInput[] = [];
    let ramHeld = 0;
    let vramHeld = 0;
    for (const m of entries) {
      const { entry } = m;
      if (entry.backend !== 'llama.cpp') {
        inputs.push({ id: entry.id, kind: 'remote' });
        continue;
      }
      const loaded = m.state === 'ready';
      if (!loaded && m !== target && (m.state === 'unavailable' || m.state === 'error')) continue;
      const summary = entry.path ? await this.summaryOf(entry.path) : undefined;
      if (!summary) continue;
      const contextSize = Math.min(entry.contextSize, summary.contextLength); // as the backend loads it
      const total = estimateMemoryBytes(summary, contextSize);
      const kv = kvCacheBytes(summary, contextSize);
      if (!loaded) m.memoryBytes = total;
      else {
        ramHeld += kv;
        vramHeld += m.plannedVramBytes ?? 0;
      }
      inputs.push({ id: entry.id, kind: 'local', weightsBytes: total - kv, kvCacheBytes: kv, layers: summary.blockCount, gpuLayers: entry.gpuLayers, loaded });
    }
    const gpu = await this.probe.gpu(entries.map((m) => m.entry).filter((e): e is LlamaCppModelEntry => e.backend === 'llama.cpp'));
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
      const level = state === 'unavailable' || state === 'error' ? 'warn' : 'info';
      this.logger.log(level, `model ${model.entry.id}: ${state}${reason && state !== 'loading' ? ` (${reason})` : ''}`);
      this.onChange(`model ${model.entry.id} ${state}`);
    }
  }

  status(weightOf: (id: string) => number): ModelStatus[] {
    return [...this.models.values()].map((m) => ({
      id: m.entry.id,
      backend: m.entry.backend,
      state: m.state,
      reason: m.reason,
      hint: m.hint,
      location: m.backend.location,
      memoryBytes: m.memoryBytes,
      placement: m.placement,
      weight: weightOf(m.entry.id),
      requests: m.requests,
      failures: m.failures,
    }));
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
    await Promise.allSettled([...this.models.values()].map((m) => m.backend.dispose()));
    this.models.clear();
  }
}

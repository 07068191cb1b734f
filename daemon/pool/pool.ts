/**
 * The pool of models: one backend per config entry, its state (ready, loading, unavailable...),
 * fetch-on-first-use for GGUF files that have a `url`, per-model and global concurrency limits,
 * counters, and the memory plan. A config reload keeps models whose entry did not change.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { ModelEntry, PoolConfig } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import type { ModelState, ModelStatus } from '../../protocol/methods';
import type { Backend } from '../backends/backend';
import type { BackendFactory } from '../backends/createBackend';
import type { Logger } from '../log';
import { fetchModel, formatBytes, type FetchProgress } from './modelFetch';
import { Semaphore } from './semaphore';

export interface PoolModel {
  entry: ModelEntry;
  backend: Backend;
  state: ModelState;
  reason?: string;
  hint?: string;
  memoryBytes?: number;
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
  private configPath = '';

  constructor(
    private readonly factory: BackendFactory,
    private readonly logger: Logger,
    private readonly onChange: (reason: string) => void = () => {},
    private readonly onDownload: DownloadListener = () => {},
  ) {}

  /** Adopts a new config: disposes models that went away or changed, creates new ones. */
  apply(config: PoolConfig, configPath: string): void {
    this.configPath = configPath;
    this.global.setCapacity(config.daemon.maxParallelMembers);
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
      throw new EnsembleError('ModelUnavailable', `${id}: ${model.reason ?? 'unavailable'}${model.hint ? `. ${model.hint}` : ''}`);
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
    const health = await model.backend.health(signal);
    if (health.ok) {
      model.memoryBytes = health.memoryBytes;
      this.setState(model, 'ready');
    } else {
      this.setState(model, 'unavailable', health.reason ?? 'unavailable', health.hint);
    }
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
      weight: weightOf(m.entry.id),
      requests: m.requests,
      failures: m.failures,
    }));
  }

  /** What in-process models take or will take, against the machine's memory (no GPU here: RAM). */
  memoryPlan(): { totalBytes: number; freeBytes: number; plannedBytes: number } {
    let plannedBytes = 0;
    for (const m of this.models.values()) plannedBytes += m.memoryBytes ?? 0;
    return { totalBytes: os.totalmem(), freeBytes: os.freemem(), plannedBytes };
  }

  ids(): string[] {
    return [...this.models.keys()];
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.models.values()].map((m) => m.backend.dispose()));
    this.models.clear();
  }
}

/**
 * A Backend whose model runs in a supervised worker process (workerProcess.ts): its own worker for
 * a plain model, one worker shared with the other LoRA adapter members over the same base file
 * (workerGroups.ts). The pool sees one Backend per member either way.
 *
 * Supervision, per member: when the worker dies (abort, segfault, SIGKILL, OOM kill) every call in
 * flight, of every member it hosts, is failed at once with the cause (the `GGML_ASSERT` line from
 * its stderr when there is one), and each member starts it again on demand after its backoff
 * (common/restartPolicy.ts, the same policy the extension uses for the daemon). A member whose
 * worker dies `maxCrashes` times within the window while it had a call running (or while no member
 * had: an out-of-memory kill of an idle worker counts for all) is `failed`: it is not started again
 * until its config entry changes (a new WorkerBackend) or `reset()` (the user asked: `pool/reload`).
 * Disposing a member unloads it from its worker; the worker ends with its last member.
 */
import type { ModelEntry } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import { CrashPolicy, backoffDelay } from '../../common/restartPolicy';
import type {
  Backend,
  BackendEvent,
  BackendKind,
  BackendTraits,
  GenerateRequest,
  MemoryNeeds,
  Health,
  LabelRequest,
  LabelScores,
} from '../backends/backend';
import { abortError } from '../../common/abort';
import type { WorkerMethod, WorkerParams, WorkerResult } from './messages';
import { WorkerProcess, type WorkerMember } from './workerProcess';

export { crashCause, workerCommand } from './workerProcess';

export interface WorkerOptions {
  /** Where worker stderr lines go (llama.cpp's own log), one line at a time; `label` names the members the worker hosts. */
  log?: (line: string, label: string) => void;
  maxCrashes?: number;
  crashWindowMs?: number;
  /** Lines of worker stderr kept to explain a crash (for a worker of its own). */
  stderrLines?: number;
  /** The memory plan's inputs for this model (read in the daemon from the file header; loads nothing). */
  memoryNeeds?: () => Promise<MemoryNeeds | undefined>;
  /** The worker to run in (shared with other members); a worker of its own when absent. */
  process?: WorkerProcess;
}

let handles = 0;

export class WorkerBackend implements Backend, WorkerMember {
  readonly id: string;
  readonly kind: BackendKind;
  readonly location: string;
  readonly traits: BackendTraits;
  /** This member's name in its worker's messages (unique, so a replaced member and its successor can share a worker). */
  readonly handle: string;
  private readonly worker: WorkerProcess;
  private readonly crashes: CrashPolicy;
  private restartAt = 0;
  private failure: { reason: string; hint: string } | undefined;
  private readonly listeners: Array<(e: BackendEvent) => void> = [];
  private disposed = false;
  private planned: { gpuLayers: number } | undefined;

  constructor(
    readonly entry: ModelEntry,
    traits: Omit<BackendTraits, 'local'>,
    private readonly opts: WorkerOptions = {},
  ) {
    this.id = entry.id;
    this.kind = entry.backend;
    this.handle = `${entry.id}#${++handles}`;
    this.location = entry.backend === 'llama.cpp' ? (entry.path ?? entry.url ?? '') : entry.baseUrl;
    this.traits = { ...traits, local: true };
    this.crashes = new CrashPolicy(() => ({ maxCrashes: opts.maxCrashes ?? 3, windowMs: opts.crashWindowMs ?? 3 * 60_000 }));
    this.worker = opts.process ?? new WorkerProcess({ stderrLines: opts.stderrLines });
    this.worker.attach(this);
  }

  /** The worker's process id while one runs (status shows it; members sharing a worker show the same one; tests kill it). */
  get pid(): number | undefined {
    return this.worker.pid;
  }

  placement(): { gpuLayers: number } | undefined {
    return this.planned;
  }

  log(label: string, line: string): void {
    this.opts.log?.(line, label);
  }

  memoryNeeds(): Promise<MemoryNeeds | undefined> {
    return this.opts.memoryNeeds?.() ?? Promise.resolve(undefined);
  }

  onEvent(listener: (event: BackendEvent) => void): void {
    this.listeners.push(listener);
  }

  reset(): void {
    this.crashes.reset();
    this.failure = undefined;
    this.restartAt = 0;
  }

  applyPlacement(placement: { gpuLayers: number }): void {
    this.planned = placement;
    if (this.worker.running) void this.call('applyPlacement', placement, new AbortController().signal).catch(() => undefined);
  }

  async health(signal: AbortSignal): Promise<Health> {
    try {
      return await this.call('health', {}, signal);
    } catch (e) {
      const err = e instanceof EnsembleError ? e : new EnsembleError('BackendError', String(e));
      const hint = (err.data as { hint?: string } | undefined)?.hint;
      return { ok: false, reason: err.message, ...(hint ? { hint } : {}) };
    }
  }

  classify(req: LabelRequest, signal: AbortSignal): Promise<LabelScores> {
    return this.call('classify', { ...req }, signal);
  }

  generate(req: GenerateRequest, signal: AbortSignal, onToken?: (text: string) => void): Promise<{ text: string }> {
    return this.call('generate', { ...req }, signal, onToken);
  }

  /** Unloads this member from its worker (the others there keep serving); its calls in flight fail as unloaded. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.worker.detach(this.handle, this.unloaded());
  }

  /** Calls a backend method of this member in its worker, starting the worker when its backoff allows. */
  async call<M extends WorkerMethod>(
    method: M,
    params: WorkerParams<M>,
    signal: AbortSignal,
    onToken?: (text: string) => void,
  ): Promise<WorkerResult<M>> {
    await this.ensureWorker(signal);
    return this.worker.call(this.handle, method, params, signal, onToken);
  }

  /**
   * Supervision: the worker died; this member's calls in flight have failed. Count the crash when
   * this member was implicated, then back off (every member of a shared worker restarts) or give up.
   */
  workerExited(reason: string, implicated: boolean): void {
    if (this.disposed || this.failure) return; // a failed member is not loaded: nothing to restart
    const now = Date.now();
    if (implicated && !this.crashes.recordCrash(now)) {
      this.failure = {
        reason: `${reason} (${this.crashes.describe()})`,
        hint: `replace or fix ${this.location}, then change its entry in config.json or run "ensemble pool reload ${this.id}"`,
      };
      this.emit({ type: 'failed', ...this.failure });
      return;
    }
    const delay = backoffDelay(Math.max(0, this.crashes.count - 1));
    this.restartAt = now + delay;
    this.emit({ type: 'crashed', reason, restartInMs: delay });
  }

  private async ensureWorker(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw abortError(signal);
    if (this.disposed) throw this.unloaded();
    if (this.failure)
      throw new EnsembleError('ModelUnavailable', `model "${this.id}" failed: ${this.failure.reason}`, { hint: this.failure.hint });
    if (this.worker.running) return;
    const wait = this.restartAt - Date.now();
    if (wait > 0) await sleep(wait, signal);
    if (this.disposed) throw this.unloaded();
    this.worker.ensureRunning();
  }

  private unloaded(): EnsembleError {
    return new EnsembleError('ModelUnavailable', `model "${this.id}" was unloaded`);
  }

  private emit(event: BackendEvent): void {
    for (const l of this.listeners) l(event);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

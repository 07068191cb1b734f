/**
 * A Backend whose model runs in a supervised child process (workerMain.ts), one worker per model,
 * as Ollama runs one runner per loaded model: a native abort kills one worker, never the daemon,
 * and the OS gives each model's memory back when its worker ends.
 *
 * Supervision: when the worker dies (abort, segfault, SIGKILL, OOM kill) every call in flight is
 * failed at once with the cause (the `GGML_ASSERT` line from its stderr when there is one), and the
 * worker is started again on demand after a backoff (protocol/restartPolicy.ts, the same policy the
 * extension uses for the daemon). A model that kills its worker `maxCrashes` times within the window
 * is `failed`: it is not started again until its config entry changes (a new WorkerBackend) or
 * `reset()` (the user asked: `pool/reload`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelEntry } from '../../protocol/config';
import { EnsembleError, ErrorCodes, type ErrorKind } from '../../protocol/errors';
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
import { FromWorker, workerMethods, type ToWorker, type WorkerMethod, type WorkerParams, type WorkerResult } from './messages';

export interface WorkerOptions {
  /** Where worker stderr lines go (llama.cpp's own log), one line at a time. */
  log?: (line: string) => void;
  maxCrashes?: number;
  crashWindowMs?: number;
  /** Lines of worker stderr kept to explain a crash. */
  stderrLines?: number;
  /** The memory plan's inputs for this model (read in the daemon from the file header; loads nothing). */
  memoryNeeds?: () => Promise<MemoryNeeds | undefined>;
}

interface Pending {
  method: WorkerMethod;
  resolve(value: unknown): void;
  reject(error: EnsembleError): void;
  onToken?: (text: string) => void;
}

/** How to start a worker: the bundled `worker.mjs` beside `cli.mjs`, or the TypeScript source under tsx. */
export function workerCommand(): { modulePath: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    return { modulePath: path.join(path.dirname(here), 'workerMain.ts'), execArgv: ['--import', import.meta.resolve('tsx')] };
  }
  return { modulePath: path.join(path.dirname(here), 'worker.mjs'), execArgv: [] };
}

/** The line that says why a worker died: llama.cpp's assertion, else the last error-looking line. */
export function crashCause(stderr: readonly string[]): string | undefined {
  const assertion = stderr.findLast((l) => /GGML_ASSERT|GGML_ABORT|Assertion .* failed/.test(l));
  return (assertion ?? stderr.findLast((l) => /error|abort|terminate|fatal|out of memory/i.test(l)))?.trim().slice(0, 400);
}

export class WorkerBackend implements Backend {
  readonly id: string;
  readonly kind: BackendKind;
  readonly location: string;
  readonly traits: BackendTraits;
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly crashes: CrashPolicy;
  private restartAt = 0;
  private failure: { reason: string; hint: string } | undefined;
  private stderr: string[] = [];
  private readonly listeners: Array<(e: BackendEvent) => void> = [];
  private disposed = false;
  private placement: { gpuLayers: number } | undefined;

  constructor(
    private readonly entry: ModelEntry,
    traits: Omit<BackendTraits, 'local'>,
    private readonly opts: WorkerOptions = {},
  ) {
    this.id = entry.id;
    this.kind = entry.backend;
    this.location = entry.backend === 'llama.cpp' ? (entry.path ?? entry.url ?? '') : entry.baseUrl;
    this.traits = { ...traits, local: true };
    this.crashes = new CrashPolicy(() => ({ maxCrashes: opts.maxCrashes ?? 3, windowMs: opts.crashWindowMs ?? 3 * 60_000 }));
  }

  /** The worker's process id while one runs (status shows it; tests kill it). */
  get pid(): number | undefined {
    return this.child?.pid;
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
    this.placement = placement;
    if (this.child) void this.call('applyPlacement', placement, new AbortController().signal).catch(() => undefined);
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

  async dispose(): Promise<void> {
    this.disposed = true;
    const child = this.child;
    this.failAll(new EnsembleError('ModelUnavailable', `model "${this.id}" was unloaded`));
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(force);
  }

  /** Calls a backend method in the worker; settles at once on abort and when the worker dies. */
  call<M extends WorkerMethod>(
    method: M,
    params: WorkerParams<M>,
    signal: AbortSignal,
    onToken?: (text: string) => void,
  ): Promise<WorkerResult<M>> {
    return new Promise<WorkerResult<M>>((resolve, reject) => {
      if (signal.aborted) return reject(abortError(signal));
      const id = this.nextId++;
      const onAbort = () => {
        if (!this.pending.delete(id)) return;
        this.send({ type: 'cancel', id });
        reject(abortError(signal));
      };
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T) => {
          signal.removeEventListener('abort', onAbort);
          fn(v);
        };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { method, resolve: settle(resolve as (v: unknown) => void), reject: settle(reject), onToken });
      this.ensureChild(signal).then(
        () => {
          if (this.pending.has(id)) this.send({ type: 'call', id, method, params });
        },
        (e: unknown) => {
          const p = this.pending.get(id);
          this.pending.delete(id);
          p?.reject(e instanceof EnsembleError ? e : abortError(signal));
        },
      );
    });
  }

  private async ensureChild(signal: AbortSignal): Promise<ChildProcess> {
    if (this.disposed) throw new EnsembleError('ModelUnavailable', `model "${this.id}" was unloaded`);
    if (this.failure)
      throw new EnsembleError('ModelUnavailable', `model "${this.id}" failed: ${this.failure.reason}`, { hint: this.failure.hint });
    if (this.child) return this.child;
    const wait = this.restartAt - Date.now();
    if (wait > 0) await sleep(wait, signal);
    if (this.child) return this.child;
    if (this.disposed) throw new EnsembleError('ModelUnavailable', `model "${this.id}" was unloaded`);
    return this.spawn();
  }

  private spawn(): ChildProcess {
    const { modulePath, execArgv } = workerCommand();
    // GGML_NO_BACKTRACE: on an assertion ggml would otherwise try to attach a debugger for a backtrace.
    const env = { ...process.env, GGML_NO_BACKTRACE: '1' };
    const child = fork(modulePath, [], { execArgv, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    this.child = child;
    this.stderr = [];
    const keep = this.opts.stderrLines ?? 50;
    const onLine = (line: string): void => {
      if (!line.trim()) return;
      this.stderr.push(line.slice(0, 1_000));
      if (this.stderr.length > keep) this.stderr.shift();
      this.opts.log?.(line);
    };
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = (lines.pop() ?? '').slice(-4_000);
        lines.forEach(onLine);
      });
      stream?.on('end', () => partial && onLine(partial));
    }
    child.on('message', (raw: unknown) => this.receive(raw));
    child.on('error', (e) => this.opts.log?.(`worker error: ${e.message}`));
    // 'close' comes after the stdio streams end, so the assertion line has been read by then.
    child.on('close', (code, sig) => this.exited(child, code, sig));
    this.send({ type: 'init', entry: this.entry });
    if (this.placement) this.send({ type: 'call', id: this.nextId++, method: 'applyPlacement', params: this.placement });
    return child;
  }

  private send(msg: ToWorker): void {
    const child = this.child;
    if (child?.connected) child.send(msg, (e) => e && this.opts.log?.(`worker send failed: ${e.message}`));
  }

  private receive(raw: unknown): void {
    const parsed = FromWorker.safeParse(raw);
    if (!parsed.success) return this.opts.log?.(`worker sent a malformed message: ${parsed.error.message}`);
    const msg = parsed.data;
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'token') return p.onToken?.(msg.text);
    this.pending.delete(msg.id);
    if (msg.type === 'error') {
      const kind = (msg.error.kind in ErrorCodes ? msg.error.kind : 'BackendError') as ErrorKind;
      return p.reject(new EnsembleError(kind, msg.error.message, msg.error.hint ? { hint: msg.error.hint } : undefined));
    }
    const value = workerMethods[p.method].result.safeParse(msg.value);
    if (value.success) p.resolve(value.data);
    else p.reject(new EnsembleError('BackendError', `model "${this.id}": its worker sent a malformed ${p.method} result`));
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.disposed) return;
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    const cause = crashCause(this.stderr);
    const reason = `its worker process ${how}${cause ? `: ${cause}` : ''}`;
    this.failAll(new EnsembleError('BackendError', `model "${this.id}": ${reason}`));
    const now = Date.now();
    if (!this.crashes.recordCrash(now)) {
      this.failure = {
        reason: `${reason} (${this.crashes.describe()})`,
        hint: `replace or fix ${this.location}, then change its entry in config.json or run "ensemble pool reload ${this.id}"`,
      };
      this.emit({ type: 'failed', ...this.failure });
      return;
    }
    const delay = backoffDelay(this.crashes.count - 1);
    this.restartAt = now + delay;
    this.emit({ type: 'crashed', reason, restartInMs: delay });
  }

  private failAll(error: EnsembleError): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
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

/**
 * One supervised model worker process (workerMain.ts) and the members it hosts: a plain model
 * alone, or every LoRA adapter member over one base file (workerGroups.ts), as Ollama runs one
 * runner per loaded model. A native abort kills one worker, never the daemon, and the OS gives its
 * memory back when it ends.
 *
 * This class knows the process: it starts it on demand (and hosts every attached member in it),
 * carries each member's calls over IPC, keeps the tail of its stderr to explain a crash, and when
 * the process dies fails the calls in flight of ALL its members at once and tells each member
 * (workerBackend.ts applies that member's restart policy; the crash counts against the members
 * that had calls running, so one bad adapter crashing the worker at its load ends `failed` alone). A member detached (unloaded, replaced)
 * is disposed inside the worker without touching the others; the process ends with its last member.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelEntry } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import { abortError } from '../../common/abort';
import { HIDDEN_WINDOW } from '../../common/node/spawnCommand';
import { FromWorker, workerMethods, type ToWorker, type WorkerMethod, type WorkerParams, type WorkerResult } from './messages';

/** What the process needs from each member it hosts. */
export interface WorkerMember {
  /** Unique in this process (messages.ts). */
  readonly handle: string;
  readonly entry: ModelEntry;
  /** The memory plan's placement, sent again whenever the process (re)starts. */
  placement(): { gpuLayers: number } | undefined;
  /**
   * The process died (`reason` says how); this member's calls in flight have already been failed.
   * `implicated`: it had a call running when the process died (or nobody had), so the crash counts
   * against its restart policy; a member idle while another member's load or call crashed the
   * worker only restarts with it.
   */
  workerExited(reason: string, implicated: boolean): void;
  /** Where worker stderr lines go, labelled with the members the worker hosts. */
  log?(label: string, line: string): void;
}

interface Pending {
  member: string;
  method: WorkerMethod;
  resolve(value: unknown): void;
  reject(error: EnsembleError): void;
  onToken?: (text: string) => void;
}

export interface WorkerProcessOptions {
  /** Lines of worker stderr kept to explain a crash. */
  stderrLines?: number;
  /** Told once the last member is detached (the registry forgets this process). */
  onEmpty?: () => void;
  /** How long a detached member's dispose may take in the worker before we stop waiting. */
  disposeTimeoutMs?: number;
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

export class WorkerProcess {
  private child: ChildProcess | undefined;
  private readonly members = new Map<string, WorkerMember>();
  private readonly pending = new Map<number, Pending>();
  /** Detached members whose `disposed` the worker has not sent yet. */
  private readonly disposing = new Map<string, () => void>();
  private nextId = 1;
  private stderr: string[] = [];
  private closed = false;

  constructor(private readonly opts: WorkerProcessOptions = {}) {}

  /** The worker's process id while one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** The handles hosted (status, tests). */
  memberHandles(): string[] {
    return [...this.members.keys()];
  }

  /** Hosts `member` from now on (at once when the process runs, else when it starts). */
  attach(member: WorkerMember): void {
    if (this.closed) throw new Error('this worker process has ended its last member');
    this.members.set(member.handle, member);
    if (this.child) this.initMember(member);
  }

  /**
   * Unloads one member: its calls in flight fail with `error`, the worker frees its context; the
   * others keep serving. The last member's detach ends the process.
   */
  async detach(handle: string, error: EnsembleError): Promise<void> {
    if (!this.members.delete(handle)) return;
    this.failCalls(handle, error);
    if (this.members.size === 0) {
      this.closed = true;
      this.opts.onEmpty?.();
      await this.stop();
      return;
    }
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      // Done when the worker says so, when it ends, or after the bound (a stopped worker must not hold the pool's drain).
      const finish = (): void => {
        clearTimeout(timer);
        child.off('close', finish);
        if (this.disposing.get(handle) === finish) this.disposing.delete(handle);
        resolve();
      };
      const timer = setTimeout(finish, this.opts.disposeTimeoutMs ?? 10_000);
      this.disposing.set(handle, finish);
      child.once('close', finish);
      this.send({ type: 'dispose', member: handle });
    });
  }

  /** Starts the process when none runs (hosting every attached member). */
  ensureRunning(): ChildProcess {
    if (this.closed) throw new Error('this worker process has ended its last member');
    return this.child ?? this.spawn();
  }

  /** Calls a member's backend method in the worker (which must run); settles at once on abort and when the worker dies. */
  call<M extends WorkerMethod>(
    member: string,
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
        this.send({ type: 'cancel', member, id });
        reject(abortError(signal));
      };
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T) => {
          signal.removeEventListener('abort', onAbort);
          fn(v);
        };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { member, method, resolve: settle(resolve as (v: unknown) => void), reject: settle(reject), onToken });
      this.send({ type: 'call', member, id, method, params });
    });
  }

  /** Fails the calls in flight of one member (all members' when `handle` is undefined). */
  failCalls(handle: string | undefined, error: EnsembleError): void {
    for (const [id, p] of [...this.pending]) {
      if (handle !== undefined && p.member !== handle) continue;
      this.pending.delete(id);
      p.reject(error);
    }
  }

  private label(): string {
    return [...this.members.values()].map((m) => m.entry.id).join('+');
  }

  private log(line: string): void {
    const first = this.members.values().next().value;
    first?.log?.(this.label(), line);
  }

  private spawn(): ChildProcess {
    const { modulePath, execArgv } = workerCommand();
    // GGML_NO_BACKTRACE: on an assertion ggml would otherwise try to attach a debugger for a backtrace.
    const env = { ...process.env, GGML_NO_BACKTRACE: '1' };
    const child = fork(modulePath, [], {
      ...HIDDEN_WINDOW,
      execArgv,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    this.stderr = [];
    const keep = this.opts.stderrLines ?? 50;
    const onLine = (line: string): void => {
      if (!line.trim()) return;
      this.stderr.push(line.slice(0, 1_000));
      if (this.stderr.length > keep) this.stderr.shift();
      this.log(line);
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
    child.on('error', (e) => this.log(`worker error: ${e.message}`));
    // 'close' comes after the stdio streams end, so the assertion line has been read by then.
    child.on('close', (code, sig) => this.exited(child, code, sig));
    for (const member of this.members.values()) this.initMember(member);
    return child;
  }

  private initMember(member: WorkerMember): void {
    this.send({ type: 'init', member: member.handle, entry: member.entry });
    const placement = member.placement();
    // Its answer is not awaited (no pending entry): the placement only matters at the member's next load.
    if (placement) this.send({ type: 'call', member: member.handle, id: this.nextId++, method: 'applyPlacement', params: placement });
  }

  send(msg: ToWorker): void {
    const child = this.child;
    if (child?.connected) child.send(msg, (e) => e && this.log(`worker send failed: ${e.message}`));
  }

  private receive(raw: unknown): void {
    const parsed = FromWorker.safeParse(raw);
    if (!parsed.success) return this.log(`worker sent a malformed message: ${parsed.error.message}`);
    const msg = parsed.data;
    if (msg.type === 'disposed') return this.disposing.get(msg.member)?.();
    const p = this.pending.get(msg.id);
    // A reply must come from the member the call went to: a confused worker cannot answer for another.
    if (!p || p.member !== msg.member) return;
    if (msg.type === 'token') return p.onToken?.(msg.text);
    this.pending.delete(msg.id);
    const id = this.members.get(p.member)?.entry.id ?? p.member;
    if (msg.type === 'error') {
      return p.reject(new EnsembleError(msg.error.kind, msg.error.message, msg.error.hint ? { hint: msg.error.hint } : undefined));
    }
    const value = workerMethods[p.method].result.safeParse(msg.value);
    if (value.success) p.resolve(value.data);
    else p.reject(new EnsembleError('BackendError', `model "${id}": its worker sent a malformed ${p.method} result`));
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.closed) return;
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    const cause = crashCause(this.stderr);
    const shared = this.members.size > 1 ? ` (shared by ${this.label()})` : '';
    const reason = `its worker process${shared} ${how}${cause ? `: ${cause}` : ''}`;
    // Every member's calls fail first, then each member decides about its restart.
    const members = [...this.members.values()];
    const busy = new Set([...this.pending.values()].map((p) => p.member));
    const anyBusy = members.some((m) => busy.has(m.handle));
    for (const m of members) this.failCalls(m.handle, new EnsembleError('BackendError', `model "${m.entry.id}": ${reason}`));
    this.failCalls(undefined, new EnsembleError('BackendError', reason));
    for (const m of members) m.workerExited(reason, !anyBusy || busy.has(m.handle));
  }

  private async stop(): Promise<void> {
    const child = this.child;
    this.failCalls(undefined, new EnsembleError('ModelUnavailable', 'the model was unloaded'));
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(force);
    this.child = undefined;
  }
}

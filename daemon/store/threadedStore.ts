/**
 * The daemon's SQLite store with live decisions written by a thread of their own.
 *
 * A decision's inserts and commit cost about as much CPU as the rest of the decision (a quarter of
 * the daemon's busy time under load, measured with `npm run bench`). The daemon has one event loop
 * and the machine usually has a core to spare, so live decisions go to a writer thread
 * (writerThreadMain.ts) with its own connection to the same WAL database; everything else runs on
 * the daemon's connection as before.
 *
 * Reading what was written stays simple: every other method first waits (synchronously, with
 * Atomics.wait) until the thread has handled every decision handed to it, so feedback on a decision
 * answered a moment ago always finds it. Recording runs (a dataset item) are written on the daemon's
 * connection, after the thread's queue, so that a failed write is the caller's error. A write the
 * thread could not make is retried here and logged if it fails again; if the thread dies, what it
 * had not written is written here and the store goes on without it. How far the thread may fall
 * behind is bounded (MAX_BEHIND), so a slow disk slows decisions down instead of growing memory.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Decision } from '../../protocol/ensemble';
import { asEnsembleError } from '../../protocol/errors';
import type { SqliteStore } from './sqliteStore';
import { checkStorable, type DecisionMeta, type Store } from './store';
import type { QueuedWrite, WriterInit, WriterReply } from './writerThreadMessages';

/** Decisions the thread may hold unwritten before recording one waits for it. */
const MAX_BEHIND = 2_000;
/** How long a read waits for the thread before it reads without the newest decisions (and says so). */
const DRAIN_TIMEOUT_MS = 5_000;
/** Wait in slices, so that a thread that died is noticed. */
const WAIT_SLICE_MS = 250;

export interface ThreadedStoreOptions {
  /** Told about writes that failed twice, and about the thread's end. */
  logError: (message: string) => void;
}

/**
 * The bundled `storeWriter.mjs` beside `cli.mjs`; or, run from the TypeScript source (tests), a
 * two-line bootstrap that loads the source through tsx (Node 20 does not apply `--import` loaders
 * given in a worker's execArgv).
 */
function startWriter(workerData: WriterInit, transferList: MessagePort[]): Worker {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return new Worker(path.join(path.dirname(here), 'storeWriter.mjs'), { workerData, transferList });
  const source = pathToFileURL(path.join(path.dirname(here), 'writerThreadMain.ts')).href;
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => t.tsImport(${JSON.stringify(source)}, ${JSON.stringify(source)}))`;
  return new Worker(bootstrap, { eval: true, workerData, transferList });
}

export class ThreadedStore implements Store {
  private readonly committed = new Int32Array(new SharedArrayBuffer(4));
  private readonly failures: MessagePort;
  private worker: Worker | null;
  private ready = false;
  /** Resolves true once the thread has opened the database and takes decisions, false if it never will. */
  readonly started: Promise<boolean>;
  private lastSeq = 0;
  /** Handed to the thread and not yet known to be written: kept to be retried here if need be. */
  private pending: QueuedWrite[] = [];
  /** Not yet handed to the thread: posted together once per turn of the event loop. */
  private outbox: QueuedWrite[] = [];
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(
    private readonly main: SqliteStore,
    file: string,
    private readonly opts: ThreadedStoreOptions,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.failures = port1;
    this.worker = startWriter({ file, committed: this.committed.buffer as SharedArrayBuffer, replies: port2 }, [port2]);
    this.worker.unref();
    // Until the thread has opened the database, decisions are written here (a read never waits on a thread still starting).
    this.started = new Promise((resolve) => {
      this.worker!.once('message', (m) => {
        this.ready = m === 'ready';
        resolve(this.ready);
      });
      this.worker!.once('exit', () => resolve(false));
    });
    this.worker.on('error', (e) => this.threadEnded(`the store's writer thread failed: ${e.message}`));
    this.worker.on('exit', (code) => {
      if (this.worker) this.threadEnded(`the store's writer thread exited (code ${code})`);
    });
    // Failed writes are retried and memory released even when no decision or read comes along.
    this.pruneTimer = setInterval(() => this.settle(), 1_000);
    this.pruneTimer.unref();
  }

  recordDecision(decision: Decision, meta: DecisionMeta): void {
    if (meta.dataset !== undefined || !this.worker || !this.ready) {
      // A recording run's write must succeed or fail for its caller, in order with what went before.
      this.drain();
      this.main.recordDecision(decision, meta);
      return;
    }
    // Refused here, like every store does, so that the caller hears of it (the check is a walk over numbers).
    checkStorable(decision);
    const write = { seq: ++this.lastSeq, decision, meta };
    this.outbox.push(write);
    this.pending.push(write);
    if (this.outbox.length === 1) setImmediate(() => this.post());
    if (this.pending.length > MAX_BEHIND) this.drain();
    else if (this.pending.length % 64 === 0) this.settle();
  }

  /** Waits until the thread has handled every decision handed to it (or it died, or the wait timed out). */
  drain(): void {
    this.post();
    if (this.worker && Atomics.load(this.committed, 0) < this.lastSeq) this.worker.postMessage('flush');
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(this.committed, 0);
      if (done >= this.lastSeq || !this.worker) break;
      if (this.worker.threadId === -1) {
        this.threadEnded(`the store's writer thread stopped`);
        break;
      }
      if (Date.now() > deadline) {
        this.opts.logError(
          `the store's writer thread is ${this.lastSeq - done} decisions behind after ${DRAIN_TIMEOUT_MS} ms; reading without them`,
        );
        break;
      }
      Atomics.wait(this.committed, 0, done, WAIT_SLICE_MS);
    }
    this.settle();
  }

  private post(): void {
    if (this.outbox.length === 0 || !this.worker) return;
    this.worker.postMessage({ writes: this.outbox });
    this.outbox = [];
  }

  /** Retries what the thread could not write, then forgets what it has written. */
  private settle(): void {
    const done = Atomics.load(this.committed, 0);
    // The thread reports failures before it publishes `committed`: all of them up to `done` are queued now.
    for (let m = receiveMessageOnPort(this.failures); m; m = receiveMessageOnPort(this.failures)) {
      for (const f of (m.message as WriterReply).failed) this.retry(f.seq, f.message);
    }
    let i = 0;
    while (i < this.pending.length && this.pending[i]!.seq <= done) i++;
    if (i > 0) this.pending = this.pending.slice(i);
  }

  private retry(seq: number, why: string): void {
    const write = this.pending.find((w) => w.seq === seq);
    if (!write) return;
    try {
      this.main.recordDecision(write.decision, write.meta);
    } catch (e) {
      this.opts.logError(`could not record decision ${write.decision.id}: ${why}; retried: ${asEnsembleError(e).message}`);
    }
  }

  /** The thread is gone: what it had not written is written here, and so is everything from now on. */
  private threadEnded(why: string): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    this.opts.logError(`${why}; decisions are written on the daemon's own connection from now on`);
    this.settle();
    const left = this.pending;
    this.pending = [];
    this.outbox = [];
    for (const w of left) this.retry(w.seq, 'the writer thread ended before writing it');
    void worker.terminate();
  }

  close(): void {
    this.drain();
    clearInterval(this.pruneTimer);
    const worker = this.worker;
    this.worker = null;
    if (worker) worker.postMessage('close');
    this.failures.close();
    this.main.close();
  }

  private afterDrain<T>(f: () => T): T {
    this.drain();
    return f();
  }

  // Everything else reads or writes on the daemon's connection, after the thread's queue.
  getDecision: Store['getDecision'] = (...a) => this.afterDrain(() => this.main.getDecision(...a));
  recentDecisions: Store['recentDecisions'] = (...a) => this.afterDrain(() => this.main.recentDecisions(...a));
  recordFeedback: Store['recordFeedback'] = (...a) => this.afterDrain(() => this.main.recordFeedback(...a));
  feedbackWindow: Store['feedbackWindow'] = (...a) => this.afterDrain(() => this.main.feedbackWindow(...a));
  decisionsWithGold: Store['decisionsWithGold'] = (...a) => this.afterDrain(() => this.main.decisionsWithGold(...a));
  recordedItems: Store['recordedItems'] = (...a) => this.afterDrain(() => this.main.recordedItems(...a));
  labelledVotes: Store['labelledVotes'] = (...a) => this.afterDrain(() => this.main.labelledVotes(...a));
  saveCalibration: Store['saveCalibration'] = (...a) => this.afterDrain(() => this.main.saveCalibration(...a));
  saveCalibrations: Store['saveCalibrations'] = (...a) => this.afterDrain(() => this.main.saveCalibrations(...a));
  labelledMemberVotes: Store['labelledMemberVotes'] = (...a) => this.afterDrain(() => this.main.labelledMemberVotes(...a));
  saveAggregation: Store['saveAggregation'] = (...a) => this.afterDrain(() => this.main.saveAggregation(...a));
  aggregations: Store['aggregations'] = (...a) => this.afterDrain(() => this.main.aggregations(...a));
  calibrations: Store['calibrations'] = (...a) => this.afterDrain(() => this.main.calibrations(...a));
  recordTask: Store['recordTask'] = (...a) => this.afterDrain(() => this.main.recordTask(...a));
  taskRecords: Store['taskRecords'] = (...a) => this.afterDrain(() => this.main.taskRecords(...a));
  recordedTaskItems: Store['recordedTaskItems'] = (...a) => this.afterDrain(() => this.main.recordedTaskItems(...a));
  setAnswerGold: Store['setAnswerGold'] = (...a) => this.afterDrain(() => this.main.setAnswerGold(...a));
}

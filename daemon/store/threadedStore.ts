/**
 * The daemon's SQLite store with live decisions written by a thread of their own.
 *
 * A decision's inserts and commit cost about as much CPU as the rest of the decision (a quarter of
 * the daemon's busy time under load, measured with `npm run bench`). The daemon has one event loop
 * and the machine usually has a core to spare, so live decisions go to a writer thread
 * (writerThreadMain.ts) with its own connection to the same WAL database; everything else runs on
 * the daemon's connection as before.
 *
 * No read ever waits for the thread (a wait would stall the event loop: status, answers, every
 * request). Decisions handed to the thread and not yet known to be written stay here, in `pending`
 * (at most MAX_BEHIND of them), and reads consult them instead:
 * - `getDecision` answers from `pending` (feedback on a decision answered a moment ago finds it);
 * - reads and writes that need the decisions in the file (feedback, listings, fits) first write the
 *   pending ones here, on the daemon's connection. Each is written only if absent
 *   (`recordLiveDecisionOnce`), so the thread's own write of it later changes nothing. That costs
 *   the inserts of at most MAX_BEHIND decisions, and is exact: the same SQL answers as without a
 *   thread. Making the reads async instead (await the thread's ack) would change the Store interface
 *   for every caller and still hold a request up behind a slow disk.
 *   Such a write may wait for the thread's current transaction to commit (SQLite's lock, a few
 *   milliseconds), never for its backlog.
 * - reads of what the thread never writes (calibration, fits, answers, feedback rows) go straight on.
 *
 * Durability: the thread commits every WINDOW_MS (20 ms) or WINDOW_MAX decisions. A kill -9 loses
 * what was handed to it and not yet committed, never more than MAX_BEHIND decisions: past that, a
 * decision is written here, before its reply, like a recording run's. A write the thread could not
 * make is retried here and logged if it fails again; if the thread dies, what it had not written is
 * written here and the store goes on without it. Closing writes what is pending here, then lets the
 * thread go.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Decision } from '../../protocol/ensemble';
import { asEnsembleError } from '../../protocol/errors';
import type { SqliteStore } from './sqliteStore';
import { checkStorable, type DecisionMeta, type Store } from './store';
import { jsonOf } from '../../protocol/serializedOnce';
import type { QueuedWrite, WriterHold, WriterInit, WriterReply, WriterRequest } from './writerThreadMessages';

/**
 * Decisions the thread may hold unwritten; past that, a decision is written on the daemon's
 * connection. It bounds both memory and what a kill -9 can lose (docs/storage.md). One window's worth:
 * a thread that keeps up never has more.
 */
export const MAX_BEHIND = 256;

export interface ThreadedStoreOptions {
  /** Told about writes that failed twice, and about the thread's end. */
  logError: (message: string) => void;
  /** A test hook that holds the thread before each write (writerThreadMessages.ts). */
  hold?: WriterHold;
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
  /** Handed to the thread and not yet known to be written, in order: what reads consult, and what is retried here if need be. */
  private pending: QueuedWrite[] = [];
  private readonly pendingById = new Map<string, QueuedWrite>();
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
    const init: WriterInit = {
      file,
      committed: this.committed.buffer as SharedArrayBuffer,
      replies: port2,
      driver: main.driver,
      hold: opts.hold,
    };
    this.worker = startWriter(init, [port2]);
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
    // The count of what the thread has written is brought up to date before the bound is judged.
    if (this.pending.length >= MAX_BEHIND) this.settle();
    // A recording run's write must succeed or fail for its caller; a backlog past the bound is not let grow.
    if (meta.dataset !== undefined || !this.worker || !this.ready || this.pending.length >= MAX_BEHIND) {
      this.main.recordDecision(decision, meta);
      return;
    }
    // Refused here, like every store does, so that the caller hears of it (the check is a walk over numbers).
    checkStorable(decision);
    // Serialized now, while the handler still holds the decision: its reply reuses this text.
    const write: QueuedWrite = { seq: ++this.lastSeq, id: decision.id, json: jsonOf(decision), meta };
    this.outbox.push(write);
    this.pending.push(write);
    this.pendingById.set(decision.id, write);
    if (this.outbox.length === 1) setImmediate(() => this.post());
    if (this.pending.length % 64 === 0) this.settle();
  }

  /** How many decisions the thread has been handed and not yet written (tests; the durability bound). */
  get behind(): number {
    this.settle();
    return this.pending.length;
  }

  /** Makes every decision handed to the thread readable on the daemon's connection, without waiting for the thread. */
  private writePendingHere(): void {
    this.settle();
    if (this.pending.length === 0) return;
    const left = this.pending;
    this.forget(left.length);
    this.writeHere(left, 'a read needed it before the writer thread had written it');
  }

  /** Writes these on the daemon's connection (each only if absent: the thread may have written it), in one commit. */
  private writeHere(writes: readonly QueuedWrite[], why: string): void {
    const each = () => {
      for (const w of writes) {
        try {
          this.main.recordLiveDecisionOnce(decisionOf(w), w.meta);
        } catch (e) {
          this.opts.logError(`could not record decision ${w.id} (${why}): ${asEnsembleError(e).message}`);
        }
      }
    };
    try {
      this.main.batch(each);
    } catch (e) {
      this.opts.logError(`could not record ${writes.length} decisions (${why}): ${asEnsembleError(e).message}`);
    }
  }

  /** Drops the first `n` pending writes (written, by the thread or here). */
  private forget(n: number): void {
    for (const w of this.pending.slice(0, n)) {
      if (this.pendingById.get(w.id) === w) this.pendingById.delete(w.id);
    }
    this.pending = this.pending.slice(n);
  }

  private post(): void {
    if (this.outbox.length === 0 || !this.worker) return;
    const request: WriterRequest = { writes: this.outbox };
    this.worker.postMessage(request);
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
    if (i > 0) this.forget(i);
  }

  private retry(seq: number, why: string): void {
    const write = this.pending.find((w) => w.seq === seq);
    if (!write) return;
    try {
      this.main.recordLiveDecisionOnce(decisionOf(write), write.meta);
    } catch (e) {
      this.opts.logError(`could not record decision ${write.id}: ${why}; retried: ${asEnsembleError(e).message}`);
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
    this.forget(left.length);
    this.outbox = [];
    this.writeHere(left, 'the writer thread ended before writing it');
    void worker.terminate();
  }

  close(): void {
    // What the thread has not written yet is written here: the process may exit before the thread gets to it.
    this.writePendingHere();
    clearInterval(this.pruneTimer);
    const worker = this.worker;
    this.worker = null;
    if (worker) worker.postMessage('close');
    this.failures.close();
    this.main.close();
  }

  /** First makes every decision handed to the thread readable here (no waiting), then runs `f` on the daemon's connection. */
  private withPending<T>(f: () => T): T {
    this.writePendingHere();
    return f();
  }

  getDecision: Store['getDecision'] = (id) => {
    const write = this.pendingById.get(id);
    // A copy, as every store gives: the caller may change what it gets.
    if (write) return { decision: decisionOf(write), gold: write.meta.gold ?? null };
    return this.main.getDecision(id);
  };

  // These read or change decisions and votes, which the thread writes: they see the pending ones too.
  recentDecisions: Store['recentDecisions'] = (...a) => this.withPending(() => this.main.recentDecisions(...a));
  recordFeedback: Store['recordFeedback'] = (...a) => this.withPending(() => this.main.recordFeedback(...a));
  decisionsWithGold: Store['decisionsWithGold'] = (...a) => this.withPending(() => this.main.decisionsWithGold(...a));
  recordedItems: Store['recordedItems'] = (...a) => this.withPending(() => this.main.recordedItems(...a));
  labelledVotes: Store['labelledVotes'] = (...a) => this.withPending(() => this.main.labelledVotes(...a));
  labelledMemberVotes: Store['labelledMemberVotes'] = (...a) => this.withPending(() => this.main.labelledMemberVotes(...a));

  // The thread never writes these tables (feedback rows, calibration, fits, answers and extractions): nothing to wait for.
  feedbackWindow: Store['feedbackWindow'] = (...a) => this.main.feedbackWindow(...a);
  saveCalibration: Store['saveCalibration'] = (...a) => this.main.saveCalibration(...a);
  saveCalibrations: Store['saveCalibrations'] = (...a) => this.main.saveCalibrations(...a);
  saveAggregation: Store['saveAggregation'] = (...a) => this.main.saveAggregation(...a);
  aggregations: Store['aggregations'] = (...a) => this.main.aggregations(...a);
  calibrations: Store['calibrations'] = (...a) => this.main.calibrations(...a);
  recordTask: Store['recordTask'] = (...a) => this.main.recordTask(...a);
  taskRecords: Store['taskRecords'] = (...a) => this.main.taskRecords(...a);
  recordedTaskItems: Store['recordedTaskItems'] = (...a) => this.main.recordedTaskItems(...a);
  setAnswerGold: Store['setAnswerGold'] = (...a) => this.main.setAnswerGold(...a);
}

/** The decision a queued write holds, as a new object (its text is the decision's own JSON.stringify). */
function decisionOf(write: QueuedWrite): Decision {
  return JSON.parse(write.json) as Decision;
}

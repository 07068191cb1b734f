/**
 * The store's writer thread (a worker_threads entry, bundled as dist/storeWriter.mjs): it holds its
 * own SQLite connection to the daemon's database and records live decisions there, so that the
 * inserts and commits of every decision run beside the daemon's event loop instead of on it.
 *
 * What arrives is written in one transaction per short window (WINDOW_MS, at most WINDOW_MAX
 * decisions). After each transaction the thread publishes the last sequence number it handled in
 * `committed` (shared memory): ThreadedStore reads it, without waiting, to know which decisions are
 * on disk. A write that fails is sent back, and the daemon retries it on its own connection and logs
 * it, so nothing is lost silently. Each decision is written only if its id is not in the file yet:
 * the daemon may have written it already (a read needed it, or the thread fell behind or died).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Decision } from '../../protocol/ensemble';
import { asEnsembleError } from '../../protocol/errors';
import { SqliteStore } from './sqliteStore';
import { HOLD_GATE, HOLD_IN_HAND, type WriterInit, type WriterReply, type WriterRequest } from './writerThreadMessages';

/**
 * Decisions wait at most this long for their transaction, and at most this many share one. One
 * commit per window instead of one per decision: the pages a decision touches (the tables' last
 * pages, the indexes') are written to the WAL once per window, not once per decision. A reader
 * never waits for the window: ThreadedStore answers from what it handed over (its overlay).
 */
const WINDOW_MS = 20;
const WINDOW_MAX = 256;

const init = workerData as WriterInit;
const committed = new Int32Array(init.committed);
const store = new SqliteStore(init.file, { driver: init.driver });
const hold = init.hold ? new Int32Array(init.hold) : undefined;
let queue: WriterRequest['writes'] = [];
parentPort!.postMessage('ready');
let timer: NodeJS.Timeout | undefined;

function writeQueued(): void {
  clearTimeout(timer);
  timer = undefined;
  if (queue.length === 0) return;
  const writes = queue;
  queue = [];
  if (hold) holdWhileAsked(writes.length);
  const failed: WriterReply['failed'] = [];
  try {
    // The text is the decision's own JSON.stringify (jsonOf): it parses, and is stored as it is.
    const decisions = writes.map((w) => ({ decision: JSON.parse(w.json) as Decision, json: w.json, meta: w.meta }));
    for (const f of store.recordLiveDecisionsOnce(decisions))
      failed.push({ seq: writes[f.index]!.seq, message: asEnsembleError(f.error).message });
  } catch (e) {
    // The commit itself failed: none of this batch is on disk.
    const message = asEnsembleError(e).message;
    for (const w of writes) if (!failed.some((f) => f.seq === w.seq)) failed.push({ seq: w.seq, message });
  }
  if (failed.length > 0) init.replies.postMessage({ failed } satisfies WriterReply);
  Atomics.store(committed, 0, writes.at(-1)!.seq);
  if (hold) Atomics.store(hold, HOLD_IN_HAND, 0);
}

/** The test hook: says how many writes it holds, and waits for the gate to open (terminate() ends the wait too). */
function holdWhileAsked(inHand: number): void {
  Atomics.store(hold!, HOLD_IN_HAND, inHand);
  while (Atomics.load(hold!, HOLD_GATE) === 1) Atomics.wait(hold!, HOLD_GATE, 1);
}

parentPort!.on('message', (req: WriterRequest | 'close') => {
  if (req === 'close') {
    writeQueued();
    store.close();
    init.replies.close();
    parentPort!.close();
    return;
  }
  queue.push(...req.writes);
  if (queue.length >= WINDOW_MAX) writeQueued();
  else timer ??= setTimeout(writeQueued, WINDOW_MS);
});

/**
 * The store's writer thread (a worker_threads entry, bundled as dist/storeWriter.mjs): it holds its
 * own SQLite connection to the daemon's database and records live decisions there, so that the
 * inserts and commits of every decision run beside the daemon's event loop instead of on it.
 *
 * What arrives is written in one transaction per turn of this thread's loop (under load one commit
 * covers many decisions). After each transaction the thread publishes the last sequence number it
 * handled in `committed` (shared memory) and wakes a waiting reader: ThreadedStore reads it to
 * know which decisions are on disk. A write that fails is sent back, and the daemon retries it on
 * its own connection and logs it, so nothing is lost silently.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { asEnsembleError } from '../../protocol/errors';
import { SqliteStore } from './sqliteStore';
import type { WriterInit, WriterReply, WriterRequest } from './writerThreadMessages';

const init = workerData as WriterInit;
const committed = new Int32Array(init.committed);
const store = new SqliteStore(init.file);
let queue: WriterRequest['writes'] = [];
parentPort!.postMessage('ready');
let scheduled = false;

function writeQueued(): void {
  scheduled = false;
  const writes = queue;
  queue = [];
  const failed: WriterReply['failed'] = [];
  try {
    store.batch(() => {
      for (const w of writes) {
        try {
          store.recordDecision(w.decision, w.meta);
        } catch (e) {
          failed.push({ seq: w.seq, message: asEnsembleError(e).message });
        }
      }
    });
  } catch (e) {
    // The commit itself failed: none of this batch is on disk.
    const message = asEnsembleError(e).message;
    for (const w of writes) if (!failed.some((f) => f.seq === w.seq)) failed.push({ seq: w.seq, message });
  }
  if (failed.length > 0) init.replies.postMessage({ failed } satisfies WriterReply);
  Atomics.store(committed, 0, writes.at(-1)!.seq);
  Atomics.notify(committed, 0);
}

parentPort!.on('message', (req: WriterRequest | 'close') => {
  if (req === 'close') {
    store.close();
    init.replies.close();
    parentPort!.close();
    return;
  }
  queue.push(...req.writes);
  if (scheduled) return;
  scheduled = true;
  setImmediate(writeQueued);
});

/**
 * What the daemon and its store writer thread (writerThreadMain.ts) exchange. Both sides are this
 * codebase: the values are structured-cloned, and a decision crosses as the JSON text this side's
 * JSON.stringify made of it, so these are types, not schemas.
 */
import type { MessagePort } from 'node:worker_threads';
import type { SqliteDriverName } from './sqliteDriver';
import type { DecisionMeta } from './store';

export interface WriterInit {
  /** The database file. */
  file: string;
  /** One Int32: the sequence number of the last write the thread has handled (written or failed). */
  committed: SharedArrayBuffer;
  /** Where the thread sends the writes it could not make (read synchronously by the daemon). */
  replies: MessagePort;
  /** The driver the daemon's own connection uses (the same on both sides). */
  driver: SqliteDriverName;
  /** A test hook (WriterHold): holds the thread before it writes what it received. */
  hold?: SharedArrayBuffer;
}

/**
 * A test hook, so tests can make the thread busy without a sleep: two Int32s in shared memory. While
 * HOLD_GATE is 1, the thread stops before writing each batch and puts the batch's size in
 * HOLD_IN_HAND (0 again once written); a test sets HOLD_GATE to 0 and notifies it to let it go on.
 */
export type WriterHold = SharedArrayBuffer;
export const HOLD_GATE = 0;
export const HOLD_IN_HAND = 1;

export function newWriterHold(held: boolean): WriterHold {
  const hold = new SharedArrayBuffer(8);
  Atomics.store(new Int32Array(hold), HOLD_GATE, held ? 1 : 0);
  return hold;
}

export function releaseWriterHold(hold: WriterHold): void {
  const gate = new Int32Array(hold);
  Atomics.store(gate, HOLD_GATE, 0);
  Atomics.notify(gate, HOLD_GATE);
}

/**
 * A live decision on its way to the thread, as the JSON text its reply carried (`jsonOf`). Held as
 * one string, not the decision's objects: it waits a window or two for its commit, long enough to be
 * copied by the young-generation GC, and a string is one object to copy instead of dozens.
 */
export interface QueuedWrite {
  /** Increasing from 1, in the order the daemon produced the decisions. */
  seq: number;
  id: string;
  json: string;
  meta: DecisionMeta;
}

export interface WriterRequest {
  writes: QueuedWrite[];
}

export interface WriterReply {
  /** Writes the thread could not make; the daemon retries them on its own connection. */
  failed: Array<{ seq: number; message: string }>;
}

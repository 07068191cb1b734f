/**
 * What the daemon and its store writer thread (writerThreadMain.ts) exchange. Both sides are this
 * codebase and the values are structured-cloned, not parsed, so these are types, not schemas.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Decision } from '../../protocol/ensemble';
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

export interface QueuedWrite {
  /** Increasing from 1, in the order the daemon produced the decisions. */
  seq: number;
  decision: Decision;
  meta: DecisionMeta;
}

/** A write as it crosses to the thread: the decision as its JSON text (`jsonOf`), the text its reply carried. */
export interface PostedWrite {
  seq: number;
  json: string;
  meta: DecisionMeta;
}

export interface WriterRequest {
  writes: PostedWrite[];
}

export interface WriterReply {
  /** Writes the thread could not make; the daemon retries them on its own connection. */
  failed: Array<{ seq: number; message: string }>;
}

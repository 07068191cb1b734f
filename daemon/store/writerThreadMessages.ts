/**
 * What the daemon and its store writer thread (writerThreadMain.ts) exchange. Both sides are this
 * codebase and the values are structured-cloned, not parsed, so these are types, not schemas.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Decision } from '../../protocol/ensemble';
import type { DecisionMeta } from './store';

export interface WriterInit {
  /** The database file. */
  file: string;
  /** One Int32: the sequence number of the last write the thread has handled (written or failed). */
  committed: SharedArrayBuffer;
  /** Where the thread sends the writes it could not make (read synchronously by the daemon). */
  replies: MessagePort;
}

export interface QueuedWrite {
  /** Increasing from 1, in the order the daemon produced the decisions. */
  seq: number;
  decision: Decision;
  meta: DecisionMeta;
}

export interface WriterRequest {
  writes: QueuedWrite[];
}

export interface WriterReply {
  /** Writes the thread could not make; the daemon retries them on its own connection. */
  failed: Array<{ seq: number; message: string }>;
}

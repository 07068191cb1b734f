/**
 * What an orchestrator needs from the pool to ask one member, and nothing more: the member's
 * timeout, whether its load counts against that timeout, waiting for it to be ready, and one call
 * under its limits. `Pool` is one; a test passes a few functions instead of a whole pool.
 */
import type { Backend } from '../backends/backend';

export interface MemberCaller<Ready = unknown> {
  /** The member's timeout for one call, from the ensemble's (the pool may only tighten it). */
  memberTimeoutMs(model: string, ensembleTimeoutMs: number): number;
  /** True when the model loads in this machine's workers: loading it is bounded by the deadline, not the member timeout. */
  isLocal(model: string): boolean;
  /** The model once it can serve (its handle is passed back to `call`). */
  ready(model: string, signal: AbortSignal): Promise<Ready>;
  /** One call on a ready model under its concurrency limit. */
  call<T>(ready: Ready, signal: AbortSignal, task: (backend: Backend) => Promise<T>): Promise<T>;
  /** True when a call to this model settles as soon as its signal fires (it needs no race against the signal). */
  settlesOnAbort?(ready: Ready): boolean;
}

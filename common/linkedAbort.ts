/**
 * A signal that fires when its parent does or after a timeout, whichever comes first: one wait on
 * the parent (shared with every other child of it: `whenAborted`) and one timer, both released by
 * `dispose()`. It replaces
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])` on the per-request and per-member hot path:
 * in Node 20 those allocate weak references and a finalization registration per call, a measurable
 * share of the daemon's CPU per decision (see "What the daemon costs" in docs/benchmarks.md).
 */
import { whenAborted } from './abort';
import { freshAbortController } from './freshAbort';

export interface LinkedAbort {
  readonly signal: AbortSignal;
  /** True once the timeout (not the parent) fired. */
  timedOut(): boolean;
  /** Clears the timer and the parent listener; call once the work is done. */
  dispose(): void;
}

/** setTimeout fires at once past this (2^31 - 1 ms): such a timeout is treated as none. */
const MAX_TIMER_MS = 2_147_483_647;

export function linkedAbort(parent: AbortSignal, timeoutMs: number, timeoutReason: () => unknown): LinkedAbort {
  const controller = freshAbortController();
  let fired = false;
  // The portable type: this file runs in the browser too (the webview side has no NodeJS namespace).
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopWaiting = () => {};
  if (parent.aborted) controller.abort(parent.reason);
  else {
    stopWaiting = whenAborted(parent, () => {
      clearTimeout(timer);
      controller.abort(parent.reason);
    });
    if (timeoutMs <= MAX_TIMER_MS) {
      timer = setTimeout(
        () => {
          fired = true;
          stopWaiting();
          controller.abort(timeoutReason());
        },
        Math.max(0, timeoutMs),
      );
    }
  }
  return {
    signal: controller.signal,
    timedOut: () => fired,
    dispose() {
      clearTimeout(timer);
      stopWaiting();
    },
  };
}

interface SharedLink {
  link: LinkedAbort;
  users: number;
  startedAt: number;
}

const shared = new WeakMap<AbortSignal, Map<number, SharedLink>>();

/**
 * `linkedAbort` for calls that start together: those under one parent with the same timeout, started
 * within the same millisecond (the members of one batch), share one controller and one timer. They
 * would time out at the same moment anyway, and a controller and a timer per member call were a
 * measurable share of the daemon's CPU per decision. Each caller disposes its share; the last one
 * releases the timer and the wait on the parent.
 */
export function sharedLinkedAbort(
  parent: AbortSignal,
  timeoutMs: number,
  timeoutReason: () => unknown,
  now: () => number = () => performance.now(),
): LinkedAbort {
  let byTimeout = shared.get(parent);
  if (!byTimeout) {
    byTimeout = new Map();
    shared.set(parent, byTimeout);
  }
  const at = now();
  let entry = byTimeout.get(timeoutMs);
  if (!entry || at - entry.startedAt >= 1 || entry.link.signal.aborted) {
    entry = { link: linkedAbort(parent, timeoutMs, timeoutReason), users: 0, startedAt: at };
    byTimeout.set(timeoutMs, entry);
  }
  entry.users++;
  const own = entry;
  const links = byTimeout;
  let disposed = false;
  return {
    signal: own.link.signal,
    timedOut: () => own.link.timedOut(),
    dispose() {
      if (disposed) return;
      disposed = true;
      if (--own.users > 0) return;
      own.link.dispose();
      if (links.get(timeoutMs) === own) links.delete(timeoutMs);
    },
  };
}

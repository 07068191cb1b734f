/**
 * The one abort helper: what a fired AbortSignal means as an EnsembleError, waiting on a signal
 * without an event listener per waiter, and racing a task against a signal (settles as soon as the
 * signal fires, whether or not the task honours it).
 */
import { EnsembleError } from '../protocol/errors';

export function abortError(signal: AbortSignal): EnsembleError {
  const reason: unknown = signal.reason;
  if (reason instanceof EnsembleError) return reason;
  if (reason instanceof DOMException && reason.name === 'TimeoutError') return new EnsembleError('Timeout', 'timed out');
  return new EnsembleError('RequestCancelled', 'cancelled');
}

const waiters = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `onAbort` once `signal` fires (not if it has fired already: check `aborted` first); returns
 * what stops the wait. However many wait on one signal, it carries one event listener: every member
 * call of a request waits on the request's signal, and EventTarget's bookkeeping for an add and a
 * remove per call was a measurable share of the daemon's CPU per decision.
 */
export function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
  let waiting = waiters.get(signal);
  if (!waiting) {
    const set = new Set<() => void>();
    waiting = set;
    waiters.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        waiters.delete(signal);
        for (const f of set) f();
        set.clear();
      },
      { once: true },
    );
  }
  const own = () => onAbort();
  waiting.add(own);
  return () => {
    waiting.delete(own);
  };
}

/** Runs a task but settles as soon as the signal fires, whether or not the task honours it. */
export function raceAbort<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const stop = whenAborted(signal, () => reject(abortError(signal)));
    task().then(
      (v) => {
        stop();
        resolve(v);
      },
      (e: unknown) => {
        stop();
        reject(e);
      },
    );
  });
}

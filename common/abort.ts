/**
 * The one abort helper: what a fired AbortSignal means as an EnsembleError, and racing a task
 * against a signal (settles as soon as the signal fires, whether or not the task honours it).
 */
import { EnsembleError } from '../protocol/errors';

export function abortError(signal: AbortSignal): EnsembleError {
  const reason: unknown = signal.reason;
  if (reason instanceof EnsembleError) return reason;
  if (reason instanceof DOMException && reason.name === 'TimeoutError') return new EnsembleError('Timeout', 'timed out');
  return new EnsembleError('RequestCancelled', 'cancelled');
}

/** Runs a task but settles as soon as the signal fires, whether or not the task honours it. */
export function raceAbort<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    task().then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

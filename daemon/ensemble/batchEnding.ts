/**
 * The signal one batch of the run loop asks its members under: it fires with the request's own
 * (deadline, cancel), when an outcome ends the batch, or at the batch's timeout. It remembers why
 * the batch ended, so a call it cut short can be told from one that failed by itself.
 */
import { whenAborted } from '../../common/abort';

export type BatchEnd = 'ended' | 'timedOut';

export interface BatchEnding {
  readonly signal: AbortSignal;
  /** Ends the batch (the first reason given stays); the calls still running are aborted. */
  end(why: BatchEnd): void;
  /** Why the batch ended early while the request goes on; null otherwise. */
  why(): BatchEnd | null;
  /** Clears the timer and the request listener; call once the batch is over. */
  dispose(): void;
}

export function batchEnding(run: AbortSignal, timeoutMs?: number): BatchEnding {
  const controller = new AbortController();
  let ended: BatchEnd | null = null;
  const stopWaiting = run.aborted ? () => {} : whenAborted(run, () => controller.abort(run.reason));
  if (run.aborted) controller.abort(run.reason);
  const end = (why: BatchEnd) => {
    if (ended) return;
    ended = why;
    controller.abort();
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => end('timedOut'), timeoutMs);
  return {
    signal: controller.signal,
    end,
    why: () => (ended && !run.aborted ? ended : null),
    dispose() {
      clearTimeout(timer);
      stopWaiting();
    },
  };
}

/** The batch of a task that never ends one early: it runs under the request's own signal, and `end` is never called. */
export function withRequest(run: AbortSignal): BatchEnding {
  return {
    signal: run,
    end() {
      throw new Error('this batch runs under the request signal and cannot end on its own');
    },
    why: () => null,
    dispose() {},
  };
}

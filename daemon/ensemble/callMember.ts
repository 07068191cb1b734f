/**
 * One call to one member, as both orchestrators make it: wait for the model to be ready, run under
 * the pool's concurrency limits, give up at the member timeout or the request deadline (even if
 * the backend ignores its signal), and turn every failure into a timeout or an error with a kind.
 * For an in-process model the member timeout starts once the model is ready: loading it (the first
 * request after a start, a restart after a crash) is bounded by the request deadline only. A server
 * has nothing to load: waiting for its health check counts against the member timeout.
 */
import type { ErrorInfo } from '../../protocol/ensemble';
import { EnsembleError, asEnsembleError } from '../../protocol/errors';
import type { Backend } from '../backends/backend';
import type { MemberCaller } from './memberCaller';
import { raceAbort } from '../../common/abort';
import { sharedLinkedAbort, type LinkedAbort } from '../../common/linkedAbort';

export type MemberCall<T> =
  { ok: true; value: T; latencyMs: number } | { ok: false; status: 'timeout' | 'error'; error: ErrorInfo; latencyMs: number };

export async function callMember<T, Ready>(
  pool: MemberCaller<Ready>,
  model: string,
  runSignal: AbortSignal,
  timeoutMs: number,
  task: (backend: Backend, signal: AbortSignal) => Promise<T>,
): Promise<MemberCall<T>> {
  const started = performance.now();
  // A model's own timeoutMs tightens the ensemble's member timeout, never loosens it.
  const limit = pool.memberTimeoutMs(model, timeoutMs);
  let timeout: LinkedAbort | undefined;
  let signal = runSignal;
  const startTimeout = () => {
    // Shared with the batch's other members that start now with the same limit: one timer for them all.
    timeout = sharedLinkedAbort(runSignal, limit, () => new EnsembleError('Timeout', `no answer within ${limit} ms`));
    signal = timeout.signal;
  };
  const latency = () => Math.round(performance.now() - started);
  const loadExempt = pool.isLocal(model);
  try {
    if (!loadExempt) startTimeout();
    const ready = await pool.ready(model, signal);
    if (loadExempt) startTimeout();
    // A backend that settles on abort by itself (HTTP) needs no race: a promise and a wait on the signal less per call.
    const value = pool.settlesOnAbort?.(ready)
      ? await pool.call(ready, signal, (b) => task(b, signal))
      : await raceAbort(signal, () => pool.call(ready, signal, (b) => task(b, signal)));
    return { ok: true, value, latencyMs: latency() };
  } catch (e) {
    // Any abort here is the member timeout or the deadline; a client's cancel is reported by the orchestrator.
    if (signal.aborted) {
      const message = timeout?.timedOut() ? `no answer within ${limit} ms` : 'the request deadline was reached';
      return { ok: false, status: 'timeout', error: new EnsembleError('Timeout', message).toInfo(), latencyMs: latency() };
    }
    return { ok: false, status: 'error', error: asEnsembleError(e, 'BackendError').toInfo(), latencyMs: latency() };
  } finally {
    timeout?.dispose();
  }
}

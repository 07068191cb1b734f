/**
 * One model in the pool: its config entry, backend and traits, its state (ModelState), and the
 * per-model machinery the supervisor keeps for it: concurrency limit with a bounded queue, circuit
 * breaker, latency window (the one status, laggards and adaptive timeouts read). `modelStatus` is
 * how it appears in `pool/status`.
 */
import type { ModelEntry } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import type { ModelState, ModelStatus } from '../../protocol/methods';
import type { Backend, BackendTraits, ModelRuntime } from '../backends/backend';
import { CircuitBreaker, type BreakerSettings } from './circuitBreaker';
import { LatencyWindow } from './latency';
import { Semaphore } from './semaphore';

export const DEFAULT_MAX_QUEUE = 32;
/** A backend that declares no traits: a server serving 4 at once. */
const REMOTE_TRAITS: BackendTraits = { local: false, defaultConcurrency: 4 };

export interface PoolModel {
  entry: ModelEntry;
  backend: Backend;
  traits: BackendTraits;
  state: ModelState;
  reason?: string;
  hint?: string;
  memoryBytes?: number;
  /** Where the memory plan put it ("cpu", "gpu 12/24 layers"). */
  placement?: string;
  /** VRAM the plan gave it, counted back as ours once it is loaded. */
  plannedVramBytes?: number;
  runtime?: ModelRuntime;
  requests: number;
  failures: number;
  limiter: Semaphore;
  breaker: CircuitBreaker;
  latency: LatencyWindow;
  /** In-flight preparation (download + load), shared by concurrent callers. */
  preparing?: Promise<void>;
  /** Its file's download while one runs or waits for approval (status shows it), and how to stop it. */
  download?: { receivedBytes: number; totalBytes: number | null; awaitingApproval: boolean; path: string; cancel?: AbortController };
  /** Pinned-sha256 mismatches in a row, and when the file may be looked at again (backoff). */
  integrity?: { failures: number; retryAt: number };
  /** Fired when the model leaves the pool: stops its preparation and timers. */
  lifetime: AbortController;
}

export function createPoolModel(entry: ModelEntry, backend: Backend, breaker: BreakerSettings, latencyWindow?: number): PoolModel {
  const traits = backend.traits ?? REMOTE_TRAITS;
  const capacity = entry.maxConcurrency ?? traits.defaultConcurrency;
  const maxQueue = entry.maxQueue ?? DEFAULT_MAX_QUEUE;
  const model: PoolModel = {
    entry,
    backend,
    traits,
    state: 'idle',
    requests: 0,
    failures: 0,
    breaker: new CircuitBreaker(breaker),
    latency: new LatencyWindow(latencyWindow),
    lifetime: new AbortController(),
    limiter: new Semaphore(capacity, maxQueue, ({ active, queued }) => {
      const retryAfterMs = retryHint(model, queued);
      const retry = Math.ceil(retryAfterMs / 1000);
      const message = `model "${entry.id}" is busy: ${active} running, ${queued} waiting (maxQueue ${maxQueue}); retry in about ${retry} s`;
      return new EnsembleError('BackendBusy', message, {
        retryAfterMs,
        hint: `retry in about ${retry} s, or raise "maxConcurrency"/"maxQueue" of model "${entry.id}"`,
      });
    }),
  };
  return model;
}

/** A busy member's retry hint: the queue ahead of the caller at its median latency. */
function retryHint(model: PoolModel, queued: number): number {
  const p50 = model.latency.summary()?.p50 ?? 1_000;
  const capacity = model.entry.maxConcurrency ?? model.traits.defaultConcurrency;
  return Math.max(100, Math.round(p50 * Math.ceil((queued + 1) / capacity)));
}

export function modelStatus(m: PoolModel, weight: number, now: number): ModelStatus {
  const pid = (m.backend as { pid?: unknown }).pid;
  return {
    id: m.entry.id,
    backend: m.entry.backend,
    // `busy` is `ready` with every slot taken: derived, so it never lags behind the queue.
    state: m.state === 'ready' && m.limiter.full ? 'busy' : m.state,
    reason: m.reason,
    hint: m.hint,
    location: m.backend.location,
    memoryBytes: m.memoryBytes,
    placement: m.placement,
    weight,
    requests: m.requests,
    failures: m.failures,
    load: {
      inFlight: m.limiter.inFlight,
      queued: m.limiter.queued,
      maxConcurrency: m.entry.maxConcurrency ?? m.traits.defaultConcurrency,
      maxQueue: m.entry.maxQueue ?? DEFAULT_MAX_QUEUE,
    },
    latencyMs: m.latency.summary(),
    breaker: { state: m.breaker.state(now), failures: m.breaker.failures, retryInMs: m.breaker.retryInMs(now) },
    runtime: m.runtime,
    ...(m.download
      ? {
          download: {
            receivedBytes: m.download.receivedBytes,
            totalBytes: m.download.totalBytes,
            awaitingApproval: m.download.awaitingApproval,
            path: m.download.path,
          },
        }
      : {}),
    workerPid: typeof pid === 'number' ? pid : undefined,
  };
}

/**
 * Draining a backend before it is disposed (a member replaced or removed while requests run):
 * calls in flight finish on the backend they started with, new calls go to the new one, and the
 * old one is disposed after its last call ends, or after a bound so a hung call cannot keep a
 * removed model in memory forever. No clock of its own: the timer is injected, so it is table-tested.
 *
 * How the pool (pool.ts) uses it: wrap each backend call in
 * `const done = inFlight.begin(backend); try { ... } finally { done(); }`, and on a config change
 * replace the entry at once, then `drainThenDispose(inFlight, oldBackend, () => oldBackend.dispose(), boundMs)`.
 */
export type Timer = (fn: () => void, ms: number) => { cancel(): void };

export const realTimer: Timer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return { cancel: () => clearTimeout(t) };
};

export class InFlight<K> {
  private readonly counts = new Map<K, number>();
  private readonly idle = new Map<K, Set<() => void>>();

  /** A call started on `key`; the returned function ends it (calling it twice ends it once). */
  begin(key: K): () => void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) return void this.counts.set(key, left);
      this.counts.delete(key);
      const waiters = this.idle.get(key);
      this.idle.delete(key);
      for (const w of waiters ?? []) w();
    };
  }

  count(key: K): number {
    return this.counts.get(key) ?? 0;
  }

  /** Resolves "drained" once `key` has no call in flight, or "timeout" after `boundMs`. */
  drained(key: K, boundMs: number, timer: Timer = realTimer): Promise<'drained' | 'timeout'> {
    if (this.count(key) === 0) return Promise.resolve('drained');
    return new Promise((resolve) => {
      const waiters = this.idle.get(key) ?? new Set<() => void>();
      this.idle.set(key, waiters);
      const onIdle = (): void => {
        t.cancel();
        resolve('drained');
      };
      const t = timer(
        () => {
          waiters.delete(onIdle);
          if (waiters.size === 0 && this.idle.get(key) === waiters) this.idle.delete(key);
          resolve('timeout');
        },
        Math.max(0, boundMs),
      );
      waiters.add(onIdle);
    });
  }
}

export interface DrainOutcome {
  outcome: 'drained' | 'timeout';
  /** Calls still running when dispose was called (0 unless the bound ran out: those fail as "unloaded"). */
  abandoned: number;
}

/** Waits for `key`'s calls to end (at most `boundMs`), then disposes it; a failing dispose is reported, not thrown. */
export async function drainThenDispose<K>(
  inFlight: InFlight<K>,
  key: K,
  dispose: () => Promise<void>,
  boundMs: number,
  timer: Timer = realTimer,
  onDisposeError: (e: unknown) => void = () => undefined,
): Promise<DrainOutcome> {
  let outcome = await inFlight.drained(key, boundMs, timer);
  // A call may have begun between "drained" and this continuation (a caller that picked the model
  // just before it was replaced): wait for it too. `dispose` then runs in the same turn as the last
  // check, so a caller can mark the key retired there and no call slips in after it.
  while (outcome === 'drained' && inFlight.count(key) > 0) outcome = await inFlight.drained(key, boundMs, timer);
  const abandoned = inFlight.count(key);
  try {
    await dispose();
  } catch (e) {
    onDisposeError(e);
  }
  return { outcome, abandoned };
}

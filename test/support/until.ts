/**
 * The one poller of the test suite: calls `probe` every `intervalMs` until it gives a value, and
 * returns it; fails naming `what` after `timeoutMs`. The timeout is a safety net so a broken test
 * fails instead of hanging: no test passes because of it. Prefer waiting on an event when there is one.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

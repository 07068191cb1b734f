/**
 * Pure restart policies (no clock, no I/O: the caller passes `now`), as in vscode-languageclient's
 * error handler: retry with exponential backoff, restart what crashed, but give up after too many
 * crashes in a short window and say so. Shared by the extension (restarting the daemon) and the
 * daemon (restarting model workers), so both follow one written policy.
 */

/** Delay before reconnect attempt `attempt` (0-based): 250 ms doubling to a cap, with jitter. */
export function backoffDelay(attempt: number, opts: { baseMs?: number; maxMs?: number; random?: () => number } = {}): number {
  const base = opts.baseMs ?? 250;
  const max = opts.maxMs ?? 30_000;
  const exp = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt, 30)));
  const jitter = (opts.random ?? Math.random)() * 0.2 * exp; // up to +20%, so clients do not stampede
  return Math.min(max, Math.round(exp + jitter));
}

/**
 * Defaults of the extension's `ensemble.restart.*` settings (package.json declares the same numbers;
 * a unit test holds them, and the sentence in docs/extension.md, together). A window that reaches `maxCrashes`
 * crashes stops the restarts, so the daemon is restarted at most `maxCrashes - 1` times in it.
 */
export const DAEMON_RESTART_DEFAULTS = { maxCrashes: 5, windowMinutes: 3 } as const;

/** Counts crashes in a sliding window; `allowRestart` is false once the window holds `maxCrashes`. */
export class CrashPolicy {
  private crashes: number[] = [];

  constructor(private readonly settings: () => { maxCrashes: number; windowMs: number }) {}

  /** Record a crash at `now`; true when the daemon may be restarted. */
  recordCrash(now: number): boolean {
    const { maxCrashes, windowMs } = this.settings();
    this.crashes = this.crashes.filter((t) => now - t < windowMs);
    this.crashes.push(now);
    return this.crashes.length < maxCrashes;
  }

  get count(): number {
    return this.crashes.length;
  }

  /** The user asked to try again: forget past crashes. */
  reset(): void {
    this.crashes = [];
  }

  describe(): string {
    const { windowMs } = this.settings();
    const minutes = Math.round(windowMs / 60_000);
    const n = this.crashes.length;
    return `${n} time${n === 1 ? '' : 's'} in ${minutes} minute${minutes === 1 ? '' : 's'}`;
  }
}

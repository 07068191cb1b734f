/**
 * When the daemon records in memory (no SQLite driver loads under its runtime, or the database file
 * cannot be opened), decisions, feedback and calibration are lost when it stops. A status-bar
 * tooltip alone is too quiet for that, so the editor shows a warning notification: once per daemon
 * start, not on every status refresh. Pure (no `vscode`), so it is tested without an editor;
 * extension.ts shows what it returns.
 */
import type { PoolStatus } from '../protocol/methods';

/** The reason as the daemon gave it, cut short: a notification is not the place for a stack of causes. */
const MAX_REASON_CHARS = 400;

export class MemoryStorageNotice {
  /** The daemon (by pid) already warned about: a reconnection to the same daemon says nothing again. */
  private warnedPid: number | null = null;

  /** The warning to show for this status, or null (recording in SQLite, no status, or already shown for this daemon). */
  check(pool: PoolStatus | null): string | null {
    if (!pool || pool.storage?.kind !== 'memory' || pool.pid === this.warnedPid) return null;
    this.warnedPid = pool.pid;
    const reason = (pool.storage.reason ?? 'no reason given').replace(/\s+/g, ' ').trim();
    const shown = reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}…` : reason;
    return (
      `Ensemble is recording in memory only: decisions, feedback and calibration are lost when the daemon stops. ` +
      `Reason: ${shown}. Fix it and restart the daemon to record on disk again.`
    );
  }
}

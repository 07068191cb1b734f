/**
 * Opens the daemon's store: SQLite at `file` when it can, else memory. The daemon must serve even
 * when SQLite cannot be used, so this never throws: it falls back to a MemoryStore when no SQLite
 * driver loads under this runtime (no node:sqlite before Node 22.13, and better-sqlite3 built for
 * another ABI or not installed: sqliteDriver.ts), or when the file cannot be opened (not a database,
 * locked, unreadable), and it says why, loudly, in the log and in what it returns (shown by
 * `pool/status`, and by the editor as a warning).
 */
import { DEFAULT_MAX_DECISIONS, MemoryStore } from './memoryStore';
import { SqliteUnavailableError, type SqliteDriverName } from './sqliteDriver';
import type { Store } from './store';
import { ThreadedStore } from './threadedStore';
import { oneLine } from '../../common/trimChars';

export interface StorageInfo {
  kind: 'sqlite' | 'memory';
  /** The database file, when decisions are recorded in one. */
  path?: string;
  /** The SQLite binding in use (node:sqlite from Node 22.13, better-sqlite3 on Node 20). */
  driver?: SqliteDriverName;
  /** Why decisions are recorded in memory only. */
  reason?: string;
}

export interface OpenedStore extends StorageInfo {
  store: Store;
}

/** What the store tells the daemon's log (the daemon's Logger is one); the store knows no logger of its own. */
export interface StoreLog {
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface OpenStoreOptions {
  /** Loads the SQLite store module (tests replace it to simulate a module that does not load). */
  loadSqlite?: () => Promise<Pick<typeof import('./sqliteStore'), 'SqliteStore'>>;
  maxMemoryDecisions?: number;
  /** Write live decisions on the daemon's own connection instead of a writer thread. */
  writerThread?: boolean;
}

export async function openStore(file: string, logger: StoreLog, opts: OpenStoreOptions = {}): Promise<OpenedStore> {
  let reason: string;
  try {
    // Imported here only: the native module is loaded when (and only when) the daemon opens its store.
    const { SqliteStore } = await (opts.loadSqlite ?? (() => import('./sqliteStore')))();
    const sqlite = new SqliteStore(file, { onUnreadable: unreadableLogger(logger) });
    logger.debug(`recording decisions in ${file} (SQLite through ${sqlite.driver})`);
    // Live decisions are written by a thread of their own, off the daemon's event loop.
    const store = opts.writerThread === false ? sqlite : new ThreadedStore(sqlite, file, { logError: (m) => logger.error(m) });
    return { store, kind: 'sqlite', path: file, driver: sqlite.driver };
  } catch (e) {
    const message = oneLine(e instanceof Error ? e.message : String(e));
    // The driver's errors say what failed to load and under which runtime; a SqliteError names only the problem.
    reason = e instanceof SqliteUnavailableError ? message : `cannot open ${file}: ${message}`;
  }
  const max = opts.maxMemoryDecisions ?? DEFAULT_MAX_DECISIONS;
  logger.error(
    `${reason}. Recording in MEMORY ONLY: decisions, feedback and calibration are lost when the daemon stops ` +
      `(at most ${max} decisions kept). Fix the cause and restart the daemon to record in ${file} again.`,
  );
  return { store: new MemoryStore({ maxDecisions: max, onUnreadable: unreadableLogger(logger) }), kind: 'memory', reason };
}

/** A stored row that cannot be read back is skipped by the listing and named in the log, once per row. */
function unreadableLogger(logger: StoreLog) {
  const told = new Set<string>();
  return (what: string, error: unknown) => {
    if (told.has(what) || told.size > 1_000) return;
    told.add(what);
    const message = error instanceof Error ? error.message : String(error);
    logger.warn(`skipped ${what}: it cannot be read back from the store (${message.replace(/\s+/g, ' ').slice(0, 300)})`);
  };
}

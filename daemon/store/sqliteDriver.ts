/**
 * better-sqlite3, loaded on demand. It is a native module built for one Node ABI: under another
 * runtime (the editor's Electron as Node, `ELECTRON_RUN_AS_NODE`) or when it is not installed,
 * loading it throws. No module imports it at its top (esbuild would hoist such an import to the top
 * of dist/cli.mjs, where it would run for every command): the store and `ensemble eval` call
 * `sqliteDriver()` when they actually need a database, and the daemon falls back to memory.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { oneLine } from '../../common/trimChars';

export type SqliteDatabase = BetterSqlite3.Database;
type Driver = typeof BetterSqlite3;

/** better-sqlite3 or its native addon cannot be loaded in this runtime. */
export class SqliteUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqliteUnavailableError';
  }
}

let driver: Driver | undefined;

/** What runs us, for messages: `Node 20.19.0 (ABI 115)` or `Electron 34.2.0 (Node 20.18.1, ABI 132)`. */
export function runtimeDescription(): string {
  const v = process.versions;
  return v.electron ? `Electron ${v.electron} (Node ${v.node}, ABI ${v.modules})` : `Node ${v.node} (ABI ${v.modules})`;
}

/**
 * The better-sqlite3 constructor, with its native addon loaded (the package loads the addon on the
 * first `new Database`, so a probe on `:memory:` makes an ABI mismatch fail here, not later).
 * Throws SqliteUnavailableError saying why and under which runtime.
 */
export function sqliteDriver(): Driver {
  if (driver) return driver;
  let loaded: Driver;
  try {
    const required = createRequire(import.meta.url)('better-sqlite3') as Driver | { default: Driver };
    loaded = typeof required === 'function' ? required : required.default;
    new loaded(':memory:').close();
  } catch (e) {
    // Node's ABI message spans lines ("...compiled against a different Node.js version using\nNODE_MODULE_VERSION 115..."): keep it whole, on one line.
    const why = oneLine((e instanceof Error ? e.message : String(e)).replace(/\nRequire stack:[\s\S]*$/, ''));
    throw new SqliteUnavailableError(`the SQLite module (better-sqlite3) cannot be loaded under ${runtimeDescription()}: ${why}`, {
      cause: e,
    });
  }
  driver = loaded;
  return driver;
}

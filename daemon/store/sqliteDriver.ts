/**
 * The SQLite driver, loaded on demand, behind one small interface (SqliteConnection) that the store,
 * its writer thread and `ensemble eval` share.
 *
 * Two drivers, because no single one loads on every runtime the daemon meets:
 * - `node:sqlite` (DatabaseSync), built into Node 22.13 and later, so into the Electron of VS Code
 *   1.101 and later and into the remote server's Node 24: nothing to compile, no ABI to match.
 * - better-sqlite3, a native module built for one Node ABI: what Node 20 (VS Code 1.100's Electron,
 *   and this project's own toolchain) has, since Node 20 has no `node:sqlite`.
 * `node:sqlite` is preferred where it exists: it loads wherever that Node runs, whereas
 * better-sqlite3 loads only under the ABI it was built for.
 *
 * No module imports either at its top (esbuild would hoist such an import to the top of
 * dist/cli.mjs, where it would run for every command): callers call `openSqlite` when they actually
 * need a database, and the daemon falls back to memory when no driver loads.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { oneLine as joinLines } from '../../common/trimChars';

export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

/** A prepared statement: positional parameters, or one object of named ones (`@name` in the SQL, `name` in the object). */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** What the project needs of a connection; both drivers are adapted to it. */
export interface SqliteConnection {
  readonly driver: SqliteDriverName;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  /** Runs `fn` in a transaction; nested calls become savepoints, so an inner failure rolls back alone. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export interface OpenOptions {
  readonly?: boolean;
  /** Use this driver only (tests run the store contract against each); by default the first that loads. */
  driver?: SqliteDriverName;
}

/** No SQLite driver can be loaded in this runtime. */
export class SqliteUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqliteUnavailableError';
  }
}

/** What runs us, for messages: `Node 20.19.0 (ABI 115)` or `Electron 34.2.0 (Node 20.18.1, ABI 132)`. */
export function runtimeDescription(): string {
  const v = process.versions;
  return v.electron ? `Electron ${v.electron} (Node ${v.node}, ABI ${v.modules})` : `Node ${v.node} (ABI ${v.modules})`;
}

/**
 * How long a statement waits for the other connection's write lock (the daemon's and its writer
 * thread's connections share the file) before it fails with SQLITE_BUSY. better-sqlite3 defaults to
 * this; node:sqlite to 0, and its `timeout` option is newer than Node 22.15, so the pragma sets it.
 */
const BUSY_TIMEOUT_MS = 5_000;

const require = createRequire(import.meta.url);

// ---- node:sqlite ----------------------------------------------------------------------------

/** The part of `node:sqlite` used here (@types/node 20 does not declare the module). */
interface NodeSqliteModule {
  DatabaseSync: new (
    file: string,
    options?: { readOnly?: boolean },
  ) => {
    prepare(sql: string): SqliteStatement;
    exec(sql: string): void;
    close(): void;
  };
}

let nodeSqlite: NodeSqliteModule | Error | undefined;

/**
 * `node:sqlite`, or why not. Node 22 and 23 print an ExperimentalWarning when it is first loaded:
 * on every daemon start and `ensemble eval`, noise about a module we chose knowingly. Only that one
 * warning is dropped, and only during this require; every other warning is emitted as before.
 */
function loadNodeSqlite(): NodeSqliteModule | Error {
  if (nodeSqlite) return nodeSqlite;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning.message;
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const kind = warning instanceof Error ? warning.name : type;
    if (kind === 'ExperimentalWarning' && /SQLite/i.test(text)) return;
    return (emitWarning as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    nodeSqlite = require('node:sqlite') as NodeSqliteModule;
  } catch (e) {
    // Absent (before Node 22.13) is the usual case and needs no detail; anything else is worth its message.
    const detail = (e as { code?: string }).code === 'ERR_UNKNOWN_BUILTIN_MODULE' ? '' : `: ${oneLine(e)}`;
    nodeSqlite = new Error(`node:sqlite is not in Node ${process.versions.node} (it is in Node 22.13 and later)${detail}`, { cause: e });
  } finally {
    process.emitWarning = emitWarning;
  }
  return nodeSqlite;
}

function openNodeSqlite(mod: NodeSqliteModule, file: string, opts: OpenOptions): SqliteConnection {
  const db = new mod.DatabaseSync(file, opts.readonly ? { readOnly: true } : {});
  return withTransactions('node:sqlite', db);
}

// ---- better-sqlite3 -------------------------------------------------------------------------

type BetterDriver = typeof BetterSqlite3;
let betterSqlite: BetterDriver | Error | undefined;

/** better-sqlite3 with its native addon loaded (a probe on `:memory:` makes an ABI mismatch fail here), or why not. */
function loadBetterSqlite(): BetterDriver | Error {
  if (betterSqlite) return betterSqlite;
  try {
    const required = require('better-sqlite3') as BetterDriver | { default: BetterDriver };
    const loaded = typeof required === 'function' ? required : required.default;
    new loaded(':memory:').close();
    betterSqlite = loaded;
  } catch (e) {
    betterSqlite = new Error(`the SQLite module (better-sqlite3) cannot be loaded under ${runtimeDescription()}: ${oneLine(e)}`, {
      cause: e,
    });
  }
  return betterSqlite;
}

function openBetterSqlite(Database: BetterDriver, file: string, opts: OpenOptions): SqliteConnection {
  const db = new Database(file, opts.readonly ? { readonly: true, fileMustExist: true } : {});
  return withTransactions('better-sqlite3', db as unknown as Parameters<typeof withTransactions>[1]);
}

// ---- shared ---------------------------------------------------------------------------------

/**
 * Transactions written once for both drivers (node:sqlite has no `transaction()` helper, and
 * `isTransaction` only from Node 22.16): BEGIN at the outermost level, a SAVEPOINT inside it.
 */
function withTransactions(
  driver: SqliteDriverName,
  db: { prepare(sql: string): SqliteStatement; exec(sql: string): void; close(): void },
): SqliteConnection {
  let depth = 0;
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return {
    driver,
    prepare: (sql) => db.prepare(sql),
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
    transaction<T>(fn: () => T): T {
      const outermost = depth === 0;
      const name = `s${depth}`;
      db.exec(outermost ? 'BEGIN' : `SAVEPOINT ${name}`);
      depth++;
      try {
        const result = fn();
        db.exec(outermost ? 'COMMIT' : `RELEASE ${name}`);
        return result;
      } catch (e) {
        // A failed COMMIT (the other connection held the lock too long) leaves the transaction open: end it too.
        try {
          db.exec(outermost ? 'ROLLBACK' : `ROLLBACK TO ${name}; RELEASE ${name}`);
        } catch {
          // Some errors (a full disk, an I/O error) make SQLite roll back by itself: there is nothing left to end.
        }
        throw e;
      } finally {
        depth--;
      }
    },
  };
}

/** A driver's error as one line: Node's ABI message spans lines, require adds a stack of callers. */
function oneLine(e: unknown): string {
  return joinLines((e instanceof Error ? e.message : String(e)).replace(/\nRequire stack:[\s\S]*$/, ''));
}

const loaders: Record<SqliteDriverName, () => ((file: string, opts: OpenOptions) => SqliteConnection) | Error> = {
  'node:sqlite': () => {
    const mod = loadNodeSqlite();
    return mod instanceof Error ? mod : (file, opts) => openNodeSqlite(mod, file, opts);
  },
  'better-sqlite3': () => {
    const mod = loadBetterSqlite();
    return mod instanceof Error ? mod : (file, opts) => openBetterSqlite(mod, file, opts);
  },
};

const PREFERENCE: readonly SqliteDriverName[] = ['node:sqlite', 'better-sqlite3'];

/**
 * The driver `openSqlite` would use (or the one asked for). Throws SqliteUnavailableError saying, for
 * each driver tried, why it does not load under this runtime.
 */
export function sqliteDriver(only?: SqliteDriverName): SqliteDriverName {
  const why: string[] = [];
  for (const name of only ? [only] : PREFERENCE) {
    const loaded = loaders[name]();
    if (!(loaded instanceof Error)) return name;
    why.push(loaded.message);
  }
  // better-sqlite3's reason first: it is the one a user can act on (install it for this Node) on a runtime without node:sqlite.
  throw new SqliteUnavailableError(why.reverse().join('; '));
}

/** The drivers that load in this runtime, preferred first (tests run the store contract on each). */
export function availableDrivers(): SqliteDriverName[] {
  return PREFERENCE.filter((name) => !(loaders[name]() instanceof Error));
}

/** Opens `file` (or `:memory:`) with the first driver that loads, or the one asked for. */
export function openSqlite(file: string, opts: OpenOptions = {}): SqliteConnection {
  const name = sqliteDriver(opts.driver);
  const open = loaders[name]();
  if (open instanceof Error) throw new SqliteUnavailableError(open.message, { cause: open });
  return open(file, opts);
}

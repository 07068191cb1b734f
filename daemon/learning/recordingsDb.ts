/**
 * The daemon's database as `ensemble eval` input: one recording per (item, member), items keyed by
 * their dataset id (or the input hash for live requests), gold from datasets and feedback.
 * Opened read-only, so it can be read while the daemon runs (WAL allows it). The SQLite driver is
 * loaded here, on call (`openSqlite`, synchronous: `ensemble eval`'s DatabaseLoader is), so no other
 * command of the CLI ever loads it.
 */
import fs from 'node:fs';
import { EnsembleError } from '../../protocol/errors';
import type { Recording } from './recordings';
import { openSqlite, SqliteUnavailableError, type SqliteConnection } from '../store/sqliteDriver';
import { readTaskRow, type TaskRow } from '../store/sqliteStore';
import type { StoredTask, TaskKind } from '../store/store';

/** The database opened read-only (the daemon may be running), with a clear error when it cannot be. */
export function openReadOnly(file: string): SqliteConnection {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such database (it is created by the daemon in ENSEMBLE_HOME)`);
  try {
    return openSqlite(file, { readonly: true });
  } catch (e) {
    if (!(e instanceof SqliteUnavailableError)) throw e;
    throw new EnsembleError(
      'SqliteUnavailable',
      `${file}: cannot read the database: ${e.message}; run ensemble eval under Node 22.13 or later (it has node:sqlite), or pass recordings as JSONL`,
      undefined,
      { cause: e },
    );
  }
}

export function loadFromDatabase(file: string, opts: { models?: string[] } = {}): Recording[] {
  const db = openReadOnly(file);
  try {
    // Databases from before the input text was stored have no input_text column.
    const hasText = (db.prepare('PRAGMA table_info(decisions)').all() as Array<{ name: string }>).some((c) => c.name === 'input_text');
    const rows = db
      .prepare(
        `SELECT COALESCE(d.item_id, d.input_hash) AS item, v.member, v.label, v.confidence, v.probabilities, d.gold, d.category, v.status,
        ${hasText ? 'd.input_text' : 'NULL'} AS text
        FROM votes v JOIN decisions d ON d.id = v.decision_id
        WHERE v.status IN ('ok', 'timeout', 'error')
        ORDER BY d.created_at`,
      )
      .all() as Array<{
      item: string;
      member: string;
      label: string | null;
      confidence: number | null;
      probabilities: string;
      gold: string | null;
      category: string | null;
      status: string;
      text: string | null;
    }>;
    const wanted = opts.models ? new Set(opts.models) : null;
    const latest = new Map<string, Recording>();
    for (const r of rows) {
      if (wanted && !wanted.has(r.member)) continue;
      const probabilities = JSON.parse(r.probabilities) as Record<string, number>;
      // A re-recorded item replaces the earlier answer of the same member.
      latest.set(`${r.item}\u0000${r.member}`, {
        item: r.item,
        model: r.member,
        prediction: r.status === 'ok' ? r.label : null,
        ...(r.confidence !== null ? { confidence: r.confidence } : {}),
        ...(Object.keys(probabilities).length ? { probabilities } : {}),
        ...(r.gold !== null ? { gold: r.gold } : {}),
        ...(r.category !== null ? { category: r.category } : {}),
        ...(r.text ? { text: r.text } : {}),
      });
    }
    return [...latest.values()];
  } finally {
    db.close();
  }
}

/** Recorded answers or extractions, oldest first; none in a database from before they were recorded. */
export function loadTasksFromDatabase(file: string, task: TaskKind): StoredTask[] {
  const db = openReadOnly(file);
  try {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'task_results'").get()) return [];
    const rows = db
      .prepare(
        'SELECT id, task, source, dataset, item_id, gold, input_text, json FROM task_results WHERE task = ? ORDER BY created_at, rowid',
      )
      .all(task) as TaskRow[];
    return rows.map(readTaskRow);
  } finally {
    db.close();
  }
}

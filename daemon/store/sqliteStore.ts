/**
 * The store on SQLite (node:sqlite or better-sqlite3, whichever loads: sqliteDriver.ts): WAL journal so a crashed daemon loses nothing it
 * committed; synchronous=NORMAL for decisions (safe against process crashes, which is what a
 * daemon meets) and FULL around calibration writes, which are rare and expensive to redo.
 * The driver is loaded when a store is constructed (`openSqlite`), never at import, and the daemon
 * opens its store through `openStore`, which falls back to memory when no driver loads.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Decision } from '../../protocol/ensemble';
import { openSqlite, type SqliteConnection, type SqliteDriverName, type SqliteStatement } from './sqliteDriver';
import type {
  AggregationFit,
  Calibration,
  DecisionMeta,
  DecisionWithGold,
  FeedbackRow,
  LabelledMemberVote,
  LabelledVote,
  Store,
  StoreOptions,
} from './store';
import type { StoredTask, TaskKind, TaskMeta, TaskRecord } from './store';
import { checkStorable, feedbackRows, INCOMPLETE_STATUSES, metaColumns, parseDecision, parseProbabilities, readRows } from './store';
import { parseTaskRecord, taskColumns, taskComplete } from './store';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS decisions (
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  ensemble TEXT NOT NULL,
  strategy TEXT NOT NULL,
  input_hash TEXT NOT NULL,
  item_id TEXT,
  category TEXT,
  source TEXT NOT NULL,
  dataset TEXT,
  label TEXT,
  confidence REAL NOT NULL,
  agreement REAL NOT NULL,
  partial INTEGER NOT NULL,
  gold TEXT,
  json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_created ON decisions(created_at);
CREATE INDEX IF NOT EXISTS decisions_dataset ON decisions(dataset, ensemble, item_id);
CREATE TABLE IF NOT EXISTS votes (
  decision_id TEXT NOT NULL REFERENCES decisions(id),
  member TEXT NOT NULL,
  model TEXT NOT NULL,
  prompt_style TEXT NOT NULL,
  status TEXT NOT NULL,
  label TEXT,
  confidence REAL,
  raw_confidence REAL,
  confidence_source TEXT NOT NULL,
  probabilities TEXT NOT NULL,
  latency_ms REAL NOT NULL,
  PRIMARY KEY (decision_id, member)
);
CREATE INDEX IF NOT EXISTS votes_model ON votes(model);
CREATE TABLE IF NOT EXISTS feedback (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  decision_id TEXT NOT NULL REFERENCES decisions(id),
  model TEXT NOT NULL,
  correct INTEGER NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_model ON feedback(model, id);
CREATE TABLE IF NOT EXISTS aggregation (
  ensemble TEXT PRIMARY KEY,
  json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS task_results (
  id TEXT PRIMARY KEY,
  task TEXT NOT NULL,
  created_at TEXT NOT NULL,
  ensemble TEXT NOT NULL,
  source TEXT NOT NULL,
  dataset TEXT,
  item_id TEXT,
  gold TEXT,
  input_text TEXT,
  complete INTEGER NOT NULL,
  json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS task_results_task ON task_results(task, ensemble, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS task_results_item ON task_results(task, dataset, ensemble, item_id) WHERE dataset IS NOT NULL AND item_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS calibration (
  model TEXT PRIMARY KEY,
  method TEXT NOT NULL,
  params TEXT NOT NULL,
  n INTEGER NOT NULL,
  fitted_at TEXT NOT NULL
);
`;

/**
 * Additive migrations for databases created by earlier versions: columns are only ever added,
 * so an older daemon can still read a newer database.
 */
function migrate(db: SqliteConnection): void {
  const columns = new Set((db.prepare('PRAGMA table_info(decisions)').all() as Array<{ name: string }>).map((c) => c.name));
  // The input text, for fitting the router (`ensemble fit`); null for decisions recorded before.
  if (!columns.has('input_text')) db.exec('ALTER TABLE decisions ADD COLUMN input_text TEXT');
}

/**
 * One decision per dataset item and ensemble: databases written before this key existed may hold
 * several; the newest stays (what a resumed run would have recorded last), the rest go with their
 * votes and feedback, in the same transaction that creates the key.
 */
const ITEM_KEY = `
DELETE FROM feedback WHERE decision_id IN (SELECT id FROM decisions d WHERE dataset IS NOT NULL AND item_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM decisions n WHERE n.dataset = d.dataset AND n.ensemble = d.ensemble AND n.item_id = d.item_id AND n.rowid > d.rowid));
DELETE FROM votes WHERE decision_id IN (SELECT id FROM decisions d WHERE dataset IS NOT NULL AND item_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM decisions n WHERE n.dataset = d.dataset AND n.ensemble = d.ensemble AND n.item_id = d.item_id AND n.rowid > d.rowid));
DELETE FROM decisions WHERE dataset IS NOT NULL AND item_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM decisions n WHERE n.dataset = decisions.dataset AND n.ensemble = decisions.ensemble AND n.item_id = decisions.item_id AND n.rowid > decisions.rowid);
CREATE UNIQUE INDEX IF NOT EXISTS decisions_item ON decisions(dataset, ensemble, item_id) WHERE dataset IS NOT NULL AND item_id IS NOT NULL;
`;

export class SqliteStore implements Store {
  private readonly db: SqliteConnection;
  /** The driver in use (status and tests say which). */
  readonly driver: SqliteDriverName;

  /** Throws SqliteUnavailableError when no SQLite driver loads, the driver's error when the file is unusable. */
  constructor(
    file: string,
    private readonly opts: StoreOptions & { driver?: SqliteDriverName } = {},
  ) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = openSqlite(file, { driver: opts.driver });
    try {
      // SQLite reads the file lazily: a file that is not a database fails here, not when it is opened.
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec('PRAGMA foreign_keys = ON');
      db.exec(SCHEMA);
      migrate(db);
      const hasKey = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'decisions_item'").get();
      if (!hasKey) db.transaction(() => db.exec(ITEM_KEY));
    } catch (e) {
      db.close();
      throw e;
    }
    this.db = db;
    this.driver = db.driver;
  }

  /** Statements are prepared once and reused: preparing one costs more than running it (a hot path: every decision). */
  private readonly statements = new Map<string, SqliteStatement>();
  private stmt(sql: string): SqliteStatement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  recordDecision(d: Decision, meta: DecisionMeta): void {
    this.insertDecision(d, meta, false);
  }

  /**
   * A live decision, unless its id is recorded already. A live decision's id is made once, for one
   * decision, so a second write of it carries the same content: the writer thread and the daemon's
   * own connection may both write it (ThreadedStore), and whichever comes second must not undo
   * what came between, such as feedback setting its gold.
   */
  recordLiveDecisionOnce(d: Decision, meta: DecisionMeta): void {
    this.insertDecision(d, meta, true);
  }

  /**
   * Live decisions in one transaction, each only if absent (as `recordLiveDecisionOnce`); returns
   * the ones that failed, each with why. The batch is tried whole first, without a savepoint per
   * decision (two statements each, a sixth of the writer thread's time per decision); only if one
   * failed is it tried again with a savepoint per decision, so that one bad decision rolls back alone.
   */
  recordLiveDecisionsOnce(
    writes: ReadonlyArray<{ decision: Decision; meta: DecisionMeta; json?: string }>,
  ): Array<{ index: number; error: unknown }> {
    try {
      this.db.transaction(() => {
        for (const w of writes) this.insertDecisionRows(w.decision, w.meta, true, w.json);
      });
      return [];
    } catch {
      const failed: Array<{ index: number; error: unknown }> = [];
      this.db.transaction(() => {
        writes.forEach((w, index) => {
          try {
            this.db.transaction(() => this.insertDecisionRows(w.decision, w.meta, true, w.json));
          } catch (error) {
            failed.push({ index, error });
          }
        });
      });
      return failed;
    }
  }

  private insertDecision(d: Decision, meta: DecisionMeta, onlyIfAbsent: boolean): void {
    this.db.transaction(() => this.insertDecisionRows(d, meta, onlyIfAbsent));
  }

  /** A decision's rows, in the caller's transaction; `json` is its JSON text when the caller has it already. */
  private insertDecisionRows(d: Decision, meta: DecisionMeta, onlyIfAbsent: boolean, json?: string): void {
    checkStorable(d);
    const columns = metaColumns(meta);
    const insertDecision = this.stmt(`INSERT OR REPLACE INTO decisions
      (id, created_at, ensemble, strategy, input_hash, item_id, category, source, dataset, label, confidence, agreement, partial, gold, json, input_text)
      VALUES (@id, @createdAt, @ensemble, @strategy, @inputHash, @itemId, @category, @source, @dataset, @label, @confidence, @agreement, @partial, @gold, @json, @text)`);
    const insertVote = this.stmt(`INSERT OR REPLACE INTO votes
      (decision_id, member, model, prompt_style, status, label, confidence, raw_confidence, confidence_source, probabilities, latency_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    if (onlyIfAbsent && this.stmt('SELECT 1 FROM decisions WHERE id = ?').get(d.id)) return;
    if (columns.dataset !== null && columns.itemId !== null) {
      // Recording an item again (a resume retrying missing votes) replaces it: one row per item.
      const old = this.db
        .prepare('SELECT id FROM decisions WHERE dataset = ? AND ensemble = ? AND item_id = ? AND id != ?')
        .all(columns.dataset, d.ensemble, columns.itemId, d.id) as Array<{ id: string }>;
      for (const { id } of old) this.deleteDecision(id);
    }
    insertDecision.run({
      id: d.id,
      createdAt: d.createdAt,
      ensemble: d.ensemble,
      strategy: d.strategy,
      inputHash: d.inputHash,
      ...columns,
      label: d.label,
      confidence: d.confidence,
      agreement: d.agreement,
      partial: d.partial ? 1 : 0,
      json: json ?? JSON.stringify(d),
    });
    for (const v of d.votes) {
      insertVote.run(
        d.id,
        v.member,
        v.model,
        v.promptStyle,
        v.status,
        v.label,
        v.confidence,
        v.rawConfidence,
        v.confidenceSource,
        JSON.stringify(v.probabilities),
        v.latencyMs,
      );
    }
  }

  private deleteDecision(id: string): void {
    this.stmt('DELETE FROM feedback WHERE decision_id = ?').run(id);
    this.stmt('DELETE FROM votes WHERE decision_id = ?').run(id);
    this.stmt('DELETE FROM decisions WHERE id = ?').run(id);
  }

  getDecision(id: string): DecisionWithGold | null {
    const row = this.stmt('SELECT json, gold FROM decisions WHERE id = ?').get(id) as { json: string; gold: string | null } | undefined;
    return row ? { decision: parseDecision(row.json), gold: row.gold } : null;
  }

  recentDecisions(limit: number, before?: string): Decision[] {
    const rows = this.db
      .prepare(
        `SELECT id, json FROM decisions WHERE source = 'live'
        AND (@before IS NULL OR (created_at, rowid) < (SELECT created_at, rowid FROM decisions WHERE id = @before))
        ORDER BY created_at DESC, rowid DESC LIMIT @limit`,
      )
      .all({ before: before ?? null, limit }) as Array<{ id: string; json: string }>;
    return readRows(
      rows,
      (r) => parseDecision(r.json),
      (r) => `decision ${r.id}`,
      this.opts,
    );
  }

  recordFeedback(decisionId: string, gold: string, at: number): FeedbackRow[] {
    const found = this.getDecision(decisionId);
    if (!found) return [];
    const rows = feedbackRows(found.decision, gold, at);
    const insert = this.stmt('INSERT INTO feedback (decision_id, model, correct, at) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      this.stmt('UPDATE decisions SET gold = ? WHERE id = ?').run(gold, decisionId);
      // A second feedback on the same decision replaces the first rather than counting twice.
      this.stmt('DELETE FROM feedback WHERE decision_id = ?').run(decisionId);
      for (const r of rows) insert.run(r.decisionId, r.model, r.correct ? 1 : 0, r.at);
    });
    return rows;
  }

  feedbackWindow(perModel: number): FeedbackRow[] {
    const rows = this.db
      .prepare(
        `SELECT decision_id, model, correct, at FROM (
          SELECT *, ROW_NUMBER() OVER (PARTITION BY model ORDER BY id DESC) AS rn FROM feedback
        ) WHERE rn <= ? ORDER BY id ASC`,
      )
      .all(perModel) as Array<{ decision_id: string; model: string; correct: number; at: number }>;
    return rows.map((r) => ({ decisionId: r.decision_id, model: r.model, correct: r.correct === 1, at: r.at }));
  }

  decisionsWithGold(limit: number): DecisionWithGold[] {
    const rows = this.db
      .prepare('SELECT id, json, gold FROM decisions WHERE gold IS NOT NULL ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(limit) as Array<{ id: string; json: string; gold: string }>;
    return readRows(
      rows,
      (r) => ({ decision: parseDecision(r.json), gold: r.gold }),
      (r) => `decision ${r.id}`,
      this.opts,
    );
  }

  recordedItems(dataset: string, ensemble: string): Set<string> {
    const incomplete = INCOMPLETE_STATUSES.map((s) => `'${s}'`).join(', ');
    const rows = this.db
      .prepare(
        `SELECT item_id FROM decisions d WHERE dataset = ? AND ensemble = ? AND item_id IS NOT NULL
        AND EXISTS (SELECT 1 FROM votes v WHERE v.decision_id = d.id)
        AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.decision_id = d.id AND v.status IN (${incomplete}))`,
      )
      .all(dataset, ensemble) as Array<{ item_id: string }>;
    return new Set(rows.map((r) => r.item_id));
  }

  labelledVotes(limit: number): LabelledVote[] {
    const rows = this.db
      .prepare(
        `SELECT d.id, v.model, v.label, v.probabilities, v.raw_confidence, d.gold FROM votes v JOIN decisions d ON d.id = v.decision_id
        WHERE v.status = 'ok' AND v.label IS NOT NULL AND d.gold IS NOT NULL ORDER BY d.created_at DESC LIMIT ?`,
      )
      .all(limit) as Array<{
      id: string;
      model: string;
      label: string;
      probabilities: string;
      raw_confidence: number | null;
      gold: string;
    }>;
    return readRows(
      rows,
      (r) => ({
        decisionId: r.id,
        model: r.model,
        label: r.label,
        probabilities: parseProbabilities(r.probabilities),
        rawConfidence: r.raw_confidence,
        gold: r.gold,
      }),
      (r) => `a vote of ${r.model}`,
      this.opts,
    );
  }

  saveCalibration(c: Calibration): void {
    this.saveCalibrations([c]);
  }

  saveCalibrations(cs: readonly Calibration[]): void {
    const insert = this.stmt('INSERT OR REPLACE INTO calibration (model, method, params, n, fitted_at) VALUES (?, ?, ?, ?, ?)');
    this.db.exec('PRAGMA synchronous = FULL');
    try {
      // One transaction: a crash leaves every model's previous calibration or every new one.
      this.db.transaction(() => {
        for (const c of cs) insert.run(c.model, c.method, JSON.stringify(c.params), c.n, c.fittedAt);
      });
    } finally {
      this.db.exec('PRAGMA synchronous = NORMAL');
    }
  }

  calibrations(): Calibration[] {
    const rows = this.stmt('SELECT model, method, params, n, fitted_at FROM calibration').all() as Array<{
      model: string;
      method: Calibration['method'];
      params: string;
      n: number;
      fitted_at: string;
    }>;
    return readRows(
      rows,
      (r) => ({ model: r.model, method: r.method, params: JSON.parse(r.params) as Calibration['params'], n: r.n, fittedAt: r.fitted_at }),
      (r) => `the calibration of ${r.model}`,
      this.opts,
    );
  }

  labelledMemberVotes(ensemble: string): LabelledMemberVote[] {
    const rows = this.db
      .prepare(
        `SELECT d.id, d.category, d.gold, d.input_text, v.member, v.label, v.status FROM decisions d JOIN votes v ON v.decision_id = d.id
        WHERE d.ensemble = ? AND d.gold IS NOT NULL AND v.status != 'skipped'`,
      )
      .all(ensemble) as Array<{
      id: string;
      category: string | null;
      gold: string;
      input_text: string | null;
      member: string;
      label: string | null;
      status: string;
    }>;
    return rows.map((r) => ({
      decisionId: r.id,
      category: r.category,
      gold: r.gold,
      member: r.member,
      label: r.status === 'ok' ? r.label : null,
      text: r.input_text,
    }));
  }

  saveAggregation(fit: AggregationFit): void {
    this.db.exec('PRAGMA synchronous = FULL');
    try {
      this.stmt('INSERT OR REPLACE INTO aggregation (ensemble, json) VALUES (?, ?)').run(fit.ensemble, JSON.stringify(fit));
    } finally {
      this.db.exec('PRAGMA synchronous = NORMAL');
    }
  }

  aggregations(): AggregationFit[] {
    const rows = this.stmt('SELECT ensemble, json FROM aggregation').all() as Array<{ ensemble: string; json: string }>;
    return readRows(
      rows,
      (r) => JSON.parse(r.json) as AggregationFit,
      (r) => `the aggregation fit of ${r.ensemble}`,
      this.opts,
    );
  }

  recordTask(r: TaskRecord, meta: TaskMeta): void {
    const c = taskColumns(r, meta);
    this.db.transaction(() => {
      // Recording an item again replaces it: one row per (task, dataset, ensemble, item).
      if (c.dataset !== null && c.itemId !== null) {
        this.stmt('DELETE FROM task_results WHERE task = ? AND dataset = ? AND ensemble = ? AND item_id = ? AND id != ?').run(
          c.task,
          c.dataset,
          c.ensemble,
          c.itemId,
          c.id,
        );
      }
      this.stmt(
        `INSERT OR REPLACE INTO task_results (id, task, created_at, ensemble, source, dataset, item_id, gold, input_text, complete, json)
        VALUES (@id, @task, @createdAt, @ensemble, @source, @dataset, @itemId, @gold, @text, @complete, @json)`,
      ).run({ ...c, complete: taskComplete(r) ? 1 : 0 });
    });
  }

  taskRecords(task: TaskKind, ensemble?: string): StoredTask[] {
    const rows = this.stmt(
      `SELECT id, task, source, dataset, item_id, gold, input_text, json FROM task_results
      WHERE task = @task AND (@ensemble IS NULL OR ensemble = @ensemble) ORDER BY created_at, rowid`,
    ).all({ task, ensemble: ensemble ?? null }) as TaskRow[];
    return readRows(rows, readTaskRow, (r) => `${r.task} ${r.id}`, this.opts);
  }

  recordedTaskItems(task: TaskKind, dataset: string, ensemble: string): Set<string> {
    const rows = this.stmt(
      'SELECT item_id FROM task_results WHERE task = ? AND dataset = ? AND ensemble = ? AND item_id IS NOT NULL AND complete = 1',
    ).all(task, dataset, ensemble) as Array<{ item_id: string }>;
    return new Set(rows.map((r) => r.item_id));
  }

  setAnswerGold(resultId: string, gold: string): boolean {
    return this.stmt("UPDATE task_results SET gold = ? WHERE id = ? AND task = 'answer'").run(gold, resultId).changes !== 0;
  }

  batch(writes: () => void): void {
    // The writes' own transactions become savepoints inside this one: a failing write rolls back alone.
    this.db.transaction(writes);
  }

  close(): void {
    this.db.close();
  }
}

export interface TaskRow {
  id: string;
  task: string;
  source: 'live' | 'record';
  dataset: string | null;
  item_id: string | null;
  gold: string | null;
  input_text: string | null;
  json: string;
}

/** A task_results row as a StoredTask (validated: it came from disk). */
export function readTaskRow(r: TaskRow): StoredTask {
  return { ...parseTaskRecord(r.task, r.json, r.gold, r.input_text), itemId: r.item_id, dataset: r.dataset, source: r.source };
}

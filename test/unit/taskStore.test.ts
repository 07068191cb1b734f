/**
 * Answers and extractions recorded like decisions, in every store: one result per (task, dataset,
 * ensemble, item), resumable item lists that leave out results with a failed member, gold kept and
 * read back validated, feedback setting an answer's gold, and databases from before the table.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MemoryStore } from '../../daemon/store/memoryStore';
import { loadTasksFromDatabase } from '../../daemon/learning/recordingsDb';
import { availableDrivers, openSqlite } from '../../daemon/store/sqliteDriver';
import { SqliteStore } from '../../daemon/store/sqliteStore';
import type { Store, TaskRecord } from '../../daemon/store/store';
import type { AnswerResult, AnswerVote, ExtractionResult } from '../../protocol/tasks';

const TEXT = 'Ada Lovelace met Charles Babbage.';

function answerVote(member: string, normalized: string | null, status: AnswerVote['status'] = 'ok'): AnswerVote {
  return { member, model: member, promptStyle: 'direct', status, answer: normalized, normalized, confidence: 0.8, weight: 1, latencyMs: 5 };
}

function answerResult(id: string, sec: number, votes: AnswerVote[], answer: string | null = '21'): AnswerResult {
  return {
    id,
    ensemble: 'e',
    strategy: 'majority',
    question: 'How many?',
    answer,
    normalized: answer,
    agreement: 1,
    confidence: 0.8,
    quorum: 0.5,
    votes,
    partial: false,
    earlyExit: false,
    note: '',
    elapsedMs: 3,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, sec)).toISOString(),
  };
}

function extraction(id: string, sec: number): ExtractionResult {
  return {
    id,
    ensemble: 'e',
    types: ['person'],
    spans: [{ type: 'person', text: 'Ada Lovelace', start: 0, end: 12, agreement: 1, members: ['a'] }],
    rejected: [],
    quorum: 0.5,
    votes: [{ member: 'a', model: 'a', status: 'ok', spans: [{ type: 'person', text: 'Ada Lovelace' }], unaligned: 0, latencyMs: 4 }],
    partial: false,
    note: '',
    elapsedMs: 4,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, sec)).toISOString(),
  };
}

const answerRec = (r: AnswerResult, gold: string | null = '21'): TaskRecord => ({ task: 'answer', result: r, gold });

const stores: Array<{ name: string; open: (dir: string) => Store }> = [
  // Each SQLite driver this runtime loads (node:sqlite under Node 22 and later, better-sqlite3 under Node 20).
  ...availableDrivers().map((driver) => ({
    name: `SqliteStore (file, ${driver})`,
    open: (dir: string) => new SqliteStore(path.join(dir, 'ensemble.db'), { driver }),
  })),
  { name: 'MemoryStore', open: () => new MemoryStore() },
];

for (const impl of stores) {
  describe(`task records: ${impl.name}`, () => {
    let dir: string;
    let store: Store;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-tasks-'));
      store = impl.open(dir);
    });
    afterEach(() => {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('records answers and extractions with their gold, read back per task and ensemble, oldest first', () => {
      store.recordTask(answerRec(answerResult('a2', 2, [answerVote('m1', '21')])), { source: 'live' });
      store.recordTask(answerRec(answerResult('a1', 1, [answerVote('m1', '22')]), '22'), {
        source: 'record',
        dataset: 'q.jsonl',
        itemId: 'i1',
      });
      store.recordTask(
        { task: 'extract', result: extraction('x1', 3), text: TEXT, gold: [{ type: 'person', text: 'Charles Babbage' }] },
        { source: 'record', dataset: 't.jsonl', itemId: 'i1' },
      );
      const answers = store.taskRecords('answer');
      assert.deepEqual(
        answers.map((a) => [a.result.id, a.gold, a.itemId, a.source]),
        [
          ['a1', '22', 'i1', 'record'],
          ['a2', '21', null, 'live'],
        ],
      );
      const [x] = store.taskRecords('extract', 'e');
      assert.ok(x && x.task === 'extract');
      assert.equal(x.text, TEXT);
      assert.deepEqual(x.gold, [{ type: 'person', text: 'Charles Babbage' }]);
      assert.deepEqual(store.taskRecords('extract', 'other'), []);
    });

    it('one result per (task, dataset, ensemble, item): recording it again replaces it; the resume list leaves out failed members', () => {
      const meta = { source: 'record' as const, dataset: 'q.jsonl', itemId: 'i1' };
      store.recordTask(answerRec(answerResult('first', 1, [answerVote('m1', '21'), answerVote('m2', null, 'timeout')])), meta);
      assert.deepEqual([...store.recordedTaskItems('answer', 'q.jsonl', 'e')], []);
      store.recordTask(answerRec(answerResult('second', 2, [answerVote('m1', '21'), answerVote('m2', '21')])), meta);
      assert.deepEqual(
        store.taskRecords('answer').map((a) => a.result.id),
        ['second'],
      );
      assert.deepEqual([...store.recordedTaskItems('answer', 'q.jsonl', 'e')], ['i1']);
      // The same item id in an extraction dataset is another item.
      assert.deepEqual([...store.recordedTaskItems('extract', 'q.jsonl', 'e')], []);
    });

    it("feedback sets an answer's gold; unknown ids and extractions are not answers", () => {
      store.recordTask(answerRec(answerResult('a1', 1, [answerVote('m1', '21')]), null), { source: 'live' });
      store.recordTask({ task: 'extract', result: extraction('x1', 2), text: TEXT, gold: null }, { source: 'live' });
      assert.equal(store.setAnswerGold('a1', '22'), true);
      assert.equal(store.setAnswerGold('x1', '22'), false);
      assert.equal(store.setAnswerGold('nope', '22'), false);
      assert.equal(store.taskRecords('answer')[0]!.gold, '22');
    });

    it('refuses a result holding a non-finite number, and keeps nothing of it', () => {
      const bad = answerResult('bad', 1, [answerVote('m1', '21')]);
      bad.votes[0]!.latencyMs = Number.NaN;
      assert.throws(() => store.recordTask(answerRec(bad), { source: 'live' }), /latencyMs is not a finite number/);
      assert.deepEqual(store.taskRecords('answer'), []);
    });
  });
}

describe('task records in a database from before them', () => {
  it('the table is added on open; eval reads none from a database without it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-tasks-'));
    const file = path.join(dir, 'ensemble.db');
    new SqliteStore(file).close();
    const raw = openSqlite(file);
    raw.exec('DROP TABLE task_results');
    raw.close();
    assert.deepEqual(loadTasksFromDatabase(file, 'answer'), []);
    const store = new SqliteStore(file);
    store.recordTask(answerRec(answerResult('a1', 1, [answerVote('m1', '21')])), { source: 'live' });
    store.close();
    assert.deepEqual(
      loadTasksFromDatabase(file, 'answer').map((a) => a.result.id),
      ['a1'],
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

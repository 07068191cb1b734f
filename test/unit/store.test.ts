/**
 * The Store contract, run against both stores: SqliteStore (what the daemon records in) and
 * MemoryStore (what it falls back to when SQLite cannot be used). Same calls, same answers. Then
 * what only the memory store does (its bound), and openStore's choice between them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { Logger } from '../../daemon/process/log';
import { MemoryStore } from '../../daemon/store/memoryStore';
import { openStore } from '../../daemon/store/openStore';
import { availableDrivers, openSqlite, SqliteUnavailableError, type SqliteDriverName } from '../../daemon/store/sqliteDriver';
import { SqliteStore } from '../../daemon/store/sqliteStore';
import { ThreadedStore } from '../../daemon/store/threadedStore';
import { MAX_BEHIND } from '../../daemon/store/threadedStore';
import { HOLD_IN_HAND, newWriterHold, releaseWriterHold, type WriterHold } from '../../daemon/store/writerThreadMessages';
import type { AggregationFit, Calibration, LabelledMemberVote, LabelledVote, Store } from '../../daemon/store/store';
import { Decision, type Vote } from '../../protocol/ensemble';
import { until } from '../support/until';

function vote(member: string, label: string | null, extra: Partial<Vote> = {}): Vote {
  const model = member.split('#')[0]!;
  return {
    member,
    model,
    promptStyle: member.includes('#') ? 'stepByStep' : 'direct',
    status: 'ok',
    label,
    confidence: label === null ? null : 0.7,
    rawConfidence: label === null ? null : 0.8,
    confidenceSource: 'logprobs',
    probabilities: label === null ? {} : { [label]: 0.7, other: 0.3 },
    weight: 1,
    latencyMs: 12,
    ...extra,
  };
}

/** A decision at second `sec` of a fixed minute (distinct seconds: distinct `createdAt`). */
function decision(id: string, sec: number, votes: Vote[], extra: Partial<Decision> = {}): Decision {
  return {
    id,
    ensemble: 'default',
    strategy: 'majority',
    labels: ['bug', 'feature', 'question'],
    label: votes.find((v) => v.label !== null)?.label ?? null,
    confidence: 0.66,
    agreement: 0.5,
    votes,
    partial: votes.some((v) => v.status === 'timeout' || v.status === 'error'),
    earlyExit: votes.some((v) => v.status === 'skipped'),
    note: '',
    elapsedMs: 40,
    createdAt: `2025-03-01T10:00:${String(sec).padStart(2, '0')}.000Z`,
    inputHash: `hash-${id}`,
    ...extra,
  };
}

const ids = (ds: Decision[]) => ds.map((d) => d.id);
const byKey =
  <T>(key: (x: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/**
 * Every SQLite store on each driver this runtime loads: better-sqlite3 under Node 20, node:sqlite
 * under Node 22 and 24 (test/integration/runtimes.test.ts runs this file under those).
 */
const stores: Array<{ name: string; open: (dir: string) => Store | Promise<Store> }> = [
  ...availableDrivers().flatMap((driver) => [
    { name: `SqliteStore (file, ${driver})`, open: (dir: string) => new SqliteStore(path.join(dir, 'ensemble.db'), { driver }) },
    { name: `SqliteStore (:memory:, ${driver})`, open: () => new SqliteStore(':memory:', { driver }) },
    {
      name: `ThreadedStore (live decisions written by a thread, ${driver})`,
      open: (dir: string) => openThreaded(path.join(dir, 'ensemble.db'), driver),
    },
  ]),
  { name: 'MemoryStore', open: () => new MemoryStore() },
];

const threadErrors: string[] = [];
async function openThreaded(file: string, driver?: SqliteDriverName, hold?: WriterHold): Promise<ThreadedStore> {
  const store = new ThreadedStore(new SqliteStore(file, { driver }), file, { logError: (m) => threadErrors.push(m), hold });
  // The contract is run once the thread takes the live decisions (before that they are written in place).
  assert.equal(await store.started, true, threadErrors.join('\n'));
  return store;
}

for (const impl of stores) {
  describe(`Store contract: ${impl.name}`, () => {
    let dir: string;
    let store: Store;
    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-store-'));
      store = await impl.open(dir);
    });
    afterEach(() => {
      try {
        store.close();
      } catch {
        // closed by the test
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('a decision with every kind of vote comes back as recorded, through the zod schema', () => {
      const d = decision('d1', 1, [
        vote('qwen', 'bug', { text: 'bug', probabilities: { bug: 0.9, feature: 0.05, question: 0.05 } }),
        vote('llama#stepByStep', 'feature', { confidenceSource: 'verbalized', weight: 0.25 }),
        vote('phi', null, { status: 'timeout', confidenceSource: 'none' }),
        vote('gemma', null, { status: 'error', error: { code: 1005, kind: 'BackendError', message: 'refused' } }),
        vote('mistral', null, { status: 'skipped' }),
      ]);
      store.recordDecision(d, { source: 'live' });
      const got = store.getDecision('d1');
      assert.deepEqual(got, { decision: Decision.parse(d), gold: null });
      assert.deepEqual(got!.decision, d);
      assert.equal(store.getDecision('nope'), null);
      // Callers get their own copy.
      got!.decision.votes[0]!.label = 'changed';
      assert.equal(store.getDecision('d1')!.decision.votes[0]!.label, 'bug');
    });

    it('a dataset item keeps its gold label', () => {
      store.recordDecision(decision('r1', 1, [vote('qwen', 'bug')]), {
        source: 'record',
        dataset: 'tickets',
        itemId: 'item-1',
        category: 'billing',
        gold: 'feature',
      });
      assert.equal(store.getDecision('r1')!.gold, 'feature');
    });

    it('recent decisions: live requests only, newest first, at most `limit`', () => {
      store.recordDecision(decision('a', 3, [vote('qwen', 'bug')]), { source: 'live' });
      store.recordDecision(decision('b', 1, [vote('qwen', 'bug')]), { source: 'live' });
      store.recordDecision(decision('rec', 9, [vote('qwen', 'bug')]), { source: 'record', dataset: 'ds', itemId: 'x' });
      store.recordDecision(decision('c', 5, [vote('qwen', 'bug')]), { source: 'live' });
      store.recordDecision(decision('d', 2, [vote('qwen', 'bug')]), { source: 'live' });
      assert.deepEqual(ids(store.recentDecisions(10)), ['c', 'a', 'd', 'b']);
      assert.deepEqual(ids(store.recentDecisions(2)), ['c', 'a']);
      assert.deepEqual(store.recentDecisions(2)[0], Decision.parse(decision('c', 5, [vote('qwen', 'bug')])));
    });

    it('feedback: sets the gold label, one row per answered vote, and a second feedback replaces the first', () => {
      store.recordDecision(
        decision('d1', 1, [
          vote('qwen', 'bug'),
          vote('llama', 'feature'),
          vote('phi', null),
          vote('gemma', null, { status: 'timeout' }),
          vote('qwen#stepByStep', 'bug'),
        ]),
        { source: 'live' },
      );
      store.recordDecision(decision('d2', 2, [vote('qwen', 'question'), vote('llama', 'question')]), { source: 'live' });
      assert.deepEqual(store.recordFeedback('missing', 'bug', 100), []);

      const first = store.recordFeedback('d1', 'bug', 100);
      assert.deepEqual(first, [
        { decisionId: 'd1', model: 'qwen', correct: true, at: 100 },
        { decisionId: 'd1', model: 'llama', correct: false, at: 100 },
        { decisionId: 'd1', model: 'qwen', correct: true, at: 100 },
      ]);
      assert.equal(store.getDecision('d1')!.gold, 'bug');
      store.recordFeedback('d2', 'question', 200);
      assert.deepEqual(store.feedbackWindow(10), [
        ...first,
        { decisionId: 'd2', model: 'qwen', correct: true, at: 200 },
        { decisionId: 'd2', model: 'llama', correct: true, at: 200 },
      ]);

      // Second thoughts on d1: its rows are replaced (not added), and come after d2's.
      const second = store.recordFeedback('d1', 'feature', 300);
      assert.deepEqual(second, [
        { decisionId: 'd1', model: 'qwen', correct: false, at: 300 },
        { decisionId: 'd1', model: 'llama', correct: true, at: 300 },
        { decisionId: 'd1', model: 'qwen', correct: false, at: 300 },
      ]);
      assert.equal(store.getDecision('d1')!.gold, 'feature');
      assert.deepEqual(store.feedbackWindow(10), [
        { decisionId: 'd2', model: 'qwen', correct: true, at: 200 },
        { decisionId: 'd2', model: 'llama', correct: true, at: 200 },
        ...second,
      ]);
    });

    it('feedback window: the last N rows per model, oldest first', () => {
      // qwen answers every decision, llama every other one, phi once.
      for (let i = 0; i < 6; i++) {
        const votes = [vote('qwen', 'bug'), ...(i % 2 === 0 ? [vote('llama', 'feature')] : []), ...(i === 1 ? [vote('phi', 'bug')] : [])];
        store.recordDecision(decision(`d${i}`, i, votes), { source: 'live' });
        store.recordFeedback(`d${i}`, 'bug', 1000 + i);
      }
      const row = (i: number, model: string, correct: boolean) => ({ decisionId: `d${i}`, model, correct, at: 1000 + i });
      assert.deepEqual(store.feedbackWindow(2), [
        row(1, 'phi', true),
        row(2, 'llama', false),
        row(4, 'qwen', true),
        row(4, 'llama', false),
        row(5, 'qwen', true),
      ]);
      assert.deepEqual(store.feedbackWindow(1), [row(1, 'phi', true), row(4, 'llama', false), row(5, 'qwen', true)]);
      assert.equal(store.feedbackWindow(100).length, 6 + 3 + 1);
      assert.deepEqual(store.feedbackWindow(0), []);
    });

    it('decisions with gold: from datasets and from feedback, newest first, at most `limit`', () => {
      store.recordDecision(decision('live-no-gold', 4, [vote('qwen', 'bug')]), { source: 'live' });
      store.recordDecision(decision('live-fed', 1, [vote('qwen', 'bug')]), { source: 'live' });
      store.recordDecision(decision('rec', 3, [vote('qwen', 'bug')]), { source: 'record', dataset: 'ds', itemId: 'i1', gold: 'question' });
      store.recordDecision(decision('rec-no-gold', 5, [vote('qwen', 'bug')]), { source: 'record', dataset: 'ds', itemId: 'i2' });
      store.recordFeedback('live-fed', 'feature', 1);
      const all = store.decisionsWithGold(10);
      assert.deepEqual(
        all.map((x) => [x.decision.id, x.gold]),
        [
          ['rec', 'question'],
          ['live-fed', 'feature'],
        ],
      );
      assert.deepEqual(all[0]!.decision, Decision.parse(decision('rec', 3, [vote('qwen', 'bug')])));
      assert.deepEqual(
        store.decisionsWithGold(1).map((x) => x.decision.id),
        ['rec'],
      );
    });

    it('recorded items: per dataset and ensemble', () => {
      store.recordDecision(decision('r1', 1, [vote('qwen', 'bug')]), { source: 'record', dataset: 'tickets', itemId: 't1' });
      store.recordDecision(decision('r2', 2, [vote('qwen', 'bug')]), { source: 'record', dataset: 'tickets', itemId: 't2' });
      store.recordDecision(decision('r2b', 3, [vote('qwen', 'bug')]), { source: 'record', dataset: 'tickets', itemId: 't2' });
      store.recordDecision(decision('r3', 4, [vote('qwen', 'bug')], { ensemble: 'other' }), {
        source: 'record',
        dataset: 'tickets',
        itemId: 't3',
      });
      store.recordDecision(decision('r4', 5, [vote('qwen', 'bug')]), { source: 'record', dataset: 'mmlu', itemId: 'm1' });
      store.recordDecision(decision('l1', 6, [vote('qwen', 'bug')]), { source: 'live', itemId: 'live-item' });
      assert.deepEqual([...store.recordedItems('tickets', 'default')].sort(), ['t1', 't2']);
      assert.deepEqual([...store.recordedItems('tickets', 'other')], ['t3']);
      assert.deepEqual([...store.recordedItems('mmlu', 'default')], ['m1']);
      assert.deepEqual([...store.recordedItems('nope', 'default')], []);
      assert.ok(store.recordedItems('tickets', 'default') instanceof Set);
    });

    it('recorded items: one decision per (dataset, ensemble, item); a re-recording replaces it with its votes and feedback', () => {
      store.recordDecision(decision('first', 1, [vote('qwen', 'bug'), vote('phi', null, { status: 'timeout' })]), {
        source: 'record',
        dataset: 'ds',
        itemId: 'i1',
        gold: 'bug',
      });
      store.recordFeedback('first', 'bug', 1);
      assert.deepEqual([...store.recordedItems('ds', 'default')], [], 'a timed-out vote leaves the item to be asked again');
      store.recordDecision(decision('second', 2, [vote('qwen', 'bug'), vote('phi', 'bug')]), {
        source: 'record',
        dataset: 'ds',
        itemId: 'i1',
        gold: 'bug',
      });
      assert.deepEqual([...store.recordedItems('ds', 'default')], ['i1']);
      assert.equal(store.getDecision('first'), null);
      assert.deepEqual(ids(store.decisionsWithGold(10).map((d) => d.decision)), ['second']);
      assert.deepEqual(
        store.feedbackWindow(10).filter((f) => f.decisionId === 'first'),
        [],
      );
      assert.equal(store.labelledMemberVotes('default').length, 2, 'only the new votes count');
      // An errored vote is incomplete too; another ensemble's record of the same item is its own.
      store.recordDecision(decision('err', 3, [vote('qwen', null, { status: 'error' })], { ensemble: 'other' }), {
        source: 'record',
        dataset: 'ds',
        itemId: 'i1',
      });
      assert.deepEqual([...store.recordedItems('ds', 'other')], []);
      assert.deepEqual([...store.recordedItems('ds', 'default')], ['i1']);
    });

    it('refuses a decision that would not read back (non-finite numbers) with StoreFailed, and records nothing', () => {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const d = decision(`bad-${bad}`, 1, [vote('qwen', 'bug', { confidence: bad })]);
        assert.throws(
          () => store.recordDecision(d, { source: 'live' }),
          (e: Error & { kind?: string }) => e.kind === 'StoreFailed' && /votes\.0\.confidence/.test(e.message),
        );
      }
      assert.throws(
        () => store.recordDecision(decision('nan', 1, [vote('qwen', 'bug', { probabilities: { bug: NaN } })]), { source: 'live' }),
        /StoreFailed|not recorded/,
      );
      assert.deepEqual(store.recentDecisions(10), []);
    });

    it('recent decisions page with a cursor: `before` gives the ones older than that decision', () => {
      for (let i = 1; i <= 5; i++) store.recordDecision(decision(`d${i}`, i, [vote('qwen', 'bug')]), { source: 'live' });
      assert.deepEqual(ids(store.recentDecisions(2)), ['d5', 'd4']);
      assert.deepEqual(ids(store.recentDecisions(2, 'd4')), ['d3', 'd2']);
      assert.deepEqual(ids(store.recentDecisions(2, 'd2')), ['d1']);
      assert.deepEqual(ids(store.recentDecisions(2, 'd1')), []);
      assert.deepEqual(ids(store.recentDecisions(2, 'unknown')), []);
    });

    it('saveCalibrations: several models at once', () => {
      const at = '2025-01-01T00:00:00.000Z';
      store.saveCalibrations([
        { model: 'a', method: 'temperature', params: { temperature: 2 }, n: 30, fittedAt: at },
        { model: 'b', method: 'platt', params: { a: 1, b: 0 }, n: 40, fittedAt: at },
      ]);
      assert.deepEqual(
        store
          .calibrations()
          .map((c) => c.model)
          .sort(),
        ['a', 'b'],
      );
    });

    it('labelled votes: answered votes of decisions with gold, newest decision first, at most `limit`', () => {
      store.recordDecision(
        decision('old', 1, [
          vote('qwen', 'bug', { probabilities: { bug: 0.6, feature: 0.4 }, rawConfidence: 0.55 }),
          vote('llama', null, { status: 'timeout' }),
        ]),
        { source: 'record', dataset: 'ds', itemId: 'i1', gold: 'bug' },
      );
      store.recordDecision(decision('no-gold', 2, [vote('qwen', 'bug')]), { source: 'live' });
      store.recordDecision(
        decision('new', 3, [
          vote('phi', 'question', { probabilities: { question: 1 }, rawConfidence: null, confidence: null, confidenceSource: 'none' }),
          vote('qwen', 'feature', { probabilities: { feature: 0.9, bug: 0.1 }, rawConfidence: 0.95 }),
          vote('llama', null),
          vote('gemma', null, { status: 'skipped' }),
        ]),
        { source: 'live' },
      );
      store.recordFeedback('new', 'feature', 5);
      const expectedNew: LabelledVote[] = [
        { decisionId: 'new', model: 'phi', label: 'question', probabilities: { question: 1 }, rawConfidence: null, gold: 'feature' },
        {
          decisionId: 'new',
          model: 'qwen',
          label: 'feature',
          probabilities: { feature: 0.9, bug: 0.1 },
          rawConfidence: 0.95,
          gold: 'feature',
        },
      ];
      const expectedOld: LabelledVote[] = [
        { decisionId: 'old', model: 'qwen', label: 'bug', probabilities: { bug: 0.6, feature: 0.4 }, rawConfidence: 0.55, gold: 'bug' },
      ];
      const all = store.labelledVotes(100);
      // Decisions newest first; SQL leaves the order of one decision's votes open, so compare those as sets.
      assert.deepEqual(
        all.map((v) => v.gold),
        ['feature', 'feature', 'bug'],
      );
      const sortVotes = (vs: LabelledVote[]) => [...vs].sort(byKey((v) => `${v.gold}/${v.model}`));
      assert.deepEqual(sortVotes(all), sortVotes([...expectedNew, ...expectedOld]));
      assert.deepEqual(sortVotes(store.labelledVotes(2)), sortVotes(expectedNew));
      assert.deepEqual(store.labelledVotes(0), []);
    });

    it("labelled member votes: every non-skipped vote of an ensemble's decisions with gold, failures as null", () => {
      store.recordDecision(
        decision('a', 1, [
          vote('qwen', 'bug'),
          vote('llama', null, { status: 'timeout' }),
          vote('phi', 'bug', { status: 'error' }),
          vote('gemma', null, { status: 'skipped' }),
        ]),
        { source: 'record', dataset: 'ds', itemId: 'i1', category: 'crash', gold: 'bug' },
      );
      store.recordDecision(decision('b', 2, [vote('qwen', 'feature'), vote('llama', null)]), { source: 'live' });
      store.recordDecision(decision('c', 3, [vote('qwen', 'feature')]), { source: 'live' });
      store.recordDecision(decision('x', 4, [vote('qwen', 'bug')], { ensemble: 'other' }), {
        source: 'record',
        dataset: 'ds',
        itemId: 'i1',
        gold: 'bug',
      });
      store.recordFeedback('b', 'question', 1);
      const expected: LabelledMemberVote[] = [
        { decisionId: 'a', category: 'crash', gold: 'bug', member: 'llama', label: null, text: null },
        { decisionId: 'a', category: 'crash', gold: 'bug', member: 'phi', label: null, text: null },
        { decisionId: 'a', category: 'crash', gold: 'bug', member: 'qwen', label: 'bug', text: null },
        { decisionId: 'b', category: null, gold: 'question', member: 'llama', label: null, text: null },
        { decisionId: 'b', category: null, gold: 'question', member: 'qwen', label: 'feature', text: null },
      ];
      const sorted = (vs: LabelledMemberVote[]) => [...vs].sort(byKey((v) => `${v.decisionId}/${v.member}`));
      assert.deepEqual(sorted(store.labelledMemberVotes('default')), expected);
      assert.deepEqual(store.labelledMemberVotes('other'), [
        { decisionId: 'x', category: null, gold: 'bug', member: 'qwen', label: 'bug', text: null },
      ]);
      assert.deepEqual(store.labelledMemberVotes('none'), []);
    });

    it('calibrations: one per model, a new fit replaces the old one', () => {
      assert.deepEqual(store.calibrations(), []);
      const qwen1: Calibration = {
        model: 'qwen',
        method: 'temperature',
        params: { temperature: 1.7 },
        n: 40,
        fittedAt: '2025-03-01T10:00:00.000Z',
      };
      const llama: Calibration = {
        model: 'llama',
        method: 'platt',
        params: { a: -1.25, b: 0.5 },
        n: 25,
        fittedAt: '2025-03-01T10:00:01.000Z',
      };
      const qwen2: Calibration = { model: 'qwen', method: 'platt', params: { a: 2, b: -0.5 }, n: 80, fittedAt: '2025-03-01T11:00:00.000Z' };
      store.saveCalibration(qwen1);
      store.saveCalibration(llama);
      assert.deepEqual(store.calibrations(), [qwen1, llama]);
      store.saveCalibration(qwen2);
      assert.deepEqual(store.calibrations(), [llama, qwen2]);
      // Copies: changing what came back changes nothing stored.
      store.calibrations()[0]!.params.a = 99;
      assert.deepEqual(store.calibrations(), [llama, qwen2]);
    });

    it('aggregations: one per ensemble, a new fit replaces the old one', () => {
      assert.deepEqual(store.aggregations(), []);
      const fit1: AggregationFit = {
        ensemble: 'default',
        members: ['qwen', 'llama'],
        global: [0.8, 0.6],
        byCategory: { crash: [0.9, 0.5] },
        n: 50,
        fittedAt: '2025-03-01T10:00:00.000Z',
      };
      const other: AggregationFit = {
        ensemble: 'tickets',
        members: ['phi'],
        global: [0.7],
        byCategory: {},
        n: 10,
        fittedAt: '2025-03-01T10:00:01.000Z',
      };
      const fit2: AggregationFit = {
        ...fit1,
        global: [0.75, 0.7],
        byCategory: { crash: [0.8, 0.6], ui: [0.6, 0.9] },
        n: 120,
        fittedAt: '2025-03-02T10:00:00.000Z',
      };
      store.saveAggregation(fit1);
      store.saveAggregation(other);
      assert.deepEqual(store.aggregations(), [fit1, other]);
      store.saveAggregation(fit2);
      assert.deepEqual(store.aggregations(), [other, fit2]);
    });

    it('close: the store refuses to be used afterwards', () => {
      store.recordDecision(decision('d1', 1, [vote('qwen', 'bug')]), { source: 'live' });
      store.close();
      assert.throws(() => store.recentDecisions(1));
      assert.throws(() => store.recordDecision(decision('d2', 2, [vote('qwen', 'bug')]), { source: 'live' }));
    });
  });
}

describe('SqliteStore on a file', () => {
  it('keeps what it recorded across a reopen', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-store-'));
    const file = path.join(dir, 'sub', 'ensemble.db');
    const a = new SqliteStore(file);
    a.recordDecision(decision('d1', 1, [vote('qwen', 'bug')]), { source: 'live' });
    a.recordFeedback('d1', 'bug', 7);
    a.close();
    const b = new SqliteStore(file);
    assert.deepEqual(ids(b.recentDecisions(5)), ['d1']);
    assert.deepEqual(b.feedbackWindow(5), [{ decisionId: 'd1', model: 'qwen', correct: true, at: 7 }]);
    b.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a batch of live decisions: one that cannot be stored is reported and rolls back alone; ids already there are kept as they were', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-store-'));
    const store = new SqliteStore(path.join(dir, 'ensemble.db'));
    store.recordDecision(decision('d0', 0, [vote('qwen', 'bug')]), { source: 'live' });
    store.recordFeedback('d0', 'bug', 7);
    const unstorable = decision('d2', 2, [vote('qwen', 'bug', { latencyMs: Number.NaN })]);
    const failed = store.recordLiveDecisionsOnce([
      { decision: decision('d0', 0, [vote('qwen', 'feature')]), meta: { source: 'live' } },
      { decision: decision('d1', 1, [vote('qwen', 'bug')]), meta: { source: 'live' } },
      { decision: unstorable, meta: { source: 'live' } },
      { decision: decision('d3', 3, [vote('qwen', 'question')]), meta: { source: 'live' } },
    ]);
    assert.deepEqual(
      failed.map((f) => [f.index, (f.error as Error).message]),
      [[2, 'decision d2 not recorded: decision.votes.0.latencyMs is not a finite number']],
    );
    assert.deepEqual(ids(store.recentDecisions(10)).sort(), ['d0', 'd1', 'd3']);
    assert.equal(store.getDecision('d0')?.decision.label, 'bug', 'the second write of d0 did not replace it');
    assert.equal(store.getDecision('d0')?.gold, 'bug', 'nor the gold feedback set on it');
    assert.deepEqual(store.recordLiveDecisionsOnce([{ decision: decision('d4', 4, [vote('qwen', 'bug')]), meta: { source: 'live' } }]), []);
    assert.equal(store.getDecision('d4')?.decision.id, 'd4');
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a file that is not a database is refused, and left as it was', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-store-'));
    const file = path.join(dir, 'ensemble.db');
    const garbage = Buffer.from('this is not an SQLite database, not even close '.repeat(100));
    fs.writeFileSync(file, garbage);
    assert.throws(() => new SqliteStore(file), /file is not a database/);
    assert.deepEqual(fs.readFileSync(file), garbage);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('SqliteStore: rows that cannot be read back', () => {
  it('are skipped and reported, never fatal to a listing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-store-'));
    const file = path.join(dir, 'ensemble.db');
    const seed = new SqliteStore(file);
    seed.recordDecision(decision('good', 1, [vote('qwen', 'bug')]), { source: 'live', gold: 'bug' });
    seed.recordDecision(decision('broken', 2, [vote('qwen', 'bug')]), { source: 'live', gold: 'bug' });
    seed.saveCalibration({ model: 'qwen', method: 'temperature', params: { temperature: 2 }, n: 30, fittedAt: 'x' });
    seed.close();
    // What an older daemon could leave behind: NaN written as null, a truncated JSON, a bad probability map.
    const raw = openSqlite(file);
    const bad = JSON.stringify(decision('broken', 2, [vote('qwen', 'bug')])).replace('"confidence":0.66', '"confidence":null');
    raw.prepare('UPDATE decisions SET json = ? WHERE id = ?').run(bad, 'broken');
    raw.prepare("UPDATE votes SET probabilities = '{\"bug\": 1e999}' WHERE decision_id = 'broken'").run();
    raw.prepare("UPDATE calibration SET params = '{\"temperature\": 2' WHERE model = 'qwen'").run();
    raw.close();
    const skipped: string[] = [];
    const store = new SqliteStore(file, { onUnreadable: (what) => skipped.push(what) });
    assert.deepEqual(ids(store.recentDecisions(10)), ['good']);
    assert.deepEqual(ids(store.decisionsWithGold(10).map((d) => d.decision)), ['good']);
    assert.equal(store.labelledVotes(10).length, 1);
    assert.deepEqual(store.calibrations(), []);
    assert.deepEqual(skipped, ['decision broken', 'decision broken', 'a vote of qwen', 'the calibration of qwen']);
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an older database with the same item recorded twice keeps the newest and gains the unique key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-store-'));
    const file = path.join(dir, 'ensemble.db');
    const seed = new SqliteStore(file);
    seed.recordDecision(decision('old', 1, [vote('qwen', 'bug')]), { source: 'record', dataset: 'ds', itemId: 'i1' });
    seed.close();
    const raw = openSqlite(file);
    raw.exec('DROP INDEX decisions_item');
    raw
      .prepare(
        `INSERT INTO decisions SELECT 'new', created_at, ensemble, strategy, input_hash, item_id, category, source, dataset, label,
      confidence, agreement, partial, gold, replace(json, '"id":"old"', '"id":"new"'), input_text FROM decisions WHERE id = 'old'`,
      )
      .run();
    raw
      .prepare(
        `INSERT INTO votes SELECT 'new', member, model, prompt_style, status, label, confidence, raw_confidence, confidence_source,
      probabilities, latency_ms FROM votes WHERE decision_id = 'old'`,
      )
      .run();
    raw.close();
    const store = new SqliteStore(file);
    assert.equal(store.getDecision('old'), null);
    assert.equal(store.getDecision('new')?.decision.id, 'new');
    assert.deepEqual([...store.recordedItems('ds', 'default')], ['i1']);
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('MemoryStore bound', () => {
  it('keeps at most maxDecisions, dropping the oldest recorded with its feedback', () => {
    const store = new MemoryStore({ maxDecisions: 3 });
    for (let i = 1; i <= 3; i++) {
      store.recordDecision(decision(`d${i}`, i, [vote('qwen', 'bug')]), { source: 'record', dataset: 'ds', itemId: `i${i}` });
      store.recordFeedback(`d${i}`, 'bug', i);
    }
    store.recordDecision(decision('d4', 4, [vote('qwen', 'feature')]), { source: 'live' });
    assert.equal(store.getDecision('d1'), null);
    assert.deepEqual([...store.recordedItems('ds', 'default')].sort(), ['i2', 'i3']);
    assert.deepEqual(
      store.feedbackWindow(10).map((r) => r.decisionId),
      ['d2', 'd3'],
    );
    // Recording an id again replaces it (and makes it the newest), it does not take a second place.
    store.recordDecision(decision('d2', 2, [vote('qwen', 'question')]), { source: 'live' });
    store.recordDecision(decision('d5', 5, [vote('qwen', 'bug')]), { source: 'live' });
    assert.equal(store.getDecision('d3'), null);
    assert.deepEqual(ids(store.recentDecisions(10)), ['d5', 'd4', 'd2']);
    assert.equal(store.getDecision('d2')!.decision.votes[0]!.label, 'question');
  });

  it('defaults to 50,000 decisions and refuses a nonsensical bound', () => {
    assert.equal(new MemoryStore().maxDecisions, 50_000);
    assert.throws(() => new MemoryStore({ maxDecisions: 0 }), RangeError);
  });
});

for (const driver of availableDrivers()) {
  describe(`ThreadedStore: the writer thread (${driver})`, () => {
    let dir: string;
    let file: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-thread-'));
      file = path.join(dir, 'ensemble.db');
      threadErrors.length = 0;
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** What another connection finds in the file: what a restarted daemon would find. */
    function inFile(): SqliteStore {
      return new SqliteStore(file, { driver });
    }

    /** Waits until the held thread has `n` decisions in hand (received, not written). */
    function threadHolds(hold: WriterHold, n: number): Promise<true> {
      const gate = new Int32Array(hold);
      return until(`the writer thread holding ${n} decisions`, async () => (Atomics.load(gate, HOLD_IN_HAND) === n ? true : undefined));
    }

    it('live decisions reach the file through the thread alone; a read right after finds every one', async () => {
      const store = await openThreaded(file, driver);
      try {
        for (let i = 1; i <= 40; i++) store.recordDecision(decision(`d${i}`, i % 60, [vote('qwen', 'bug')]), { source: 'live' });
        // Another connection sees them appear without the daemon's connection writing anything.
        const other = inFile();
        try {
          await until('40 decisions in the file', async () => (other.recentDecisions(100).length === 40 ? true : undefined), 20_000);
        } finally {
          other.close();
        }
        store.recordDecision(decision('last', 59, [vote('qwen', 'feature')]), { source: 'live' });
        assert.equal(store.getDecision('last')!.decision.label, 'feature', 'a read finds what was handed to the thread');
        assert.deepEqual(threadErrors, []);
      } finally {
        store.close();
      }
    });

    it('a read while the thread is busy returns without waiting for it, and finds what was handed over', async () => {
      const hold = newWriterHold(true);
      const store = await openThreaded(file, driver, hold);
      try {
        for (let i = 1; i <= 10; i++) store.recordDecision(decision(`d${i}`, i, [vote('qwen', 'bug')]), { source: 'live' });
        await threadHolds(hold, 10);
        assert.equal(store.behind, 10, 'the thread has written none of them');
        // The thread is stuck until released: a read that waited for it would never return.
        assert.equal(store.getDecision('d3')!.decision.id, 'd3');
        assert.deepEqual(
          store.recordFeedback('d3', 'feature', 5).map((r) => r.correct),
          [false],
        );
        assert.equal(store.recentDecisions(100).length, 10);
        assert.equal(store.getDecision('d3')!.gold, 'feature');
        assert.equal(Atomics.load(new Int32Array(hold), HOLD_IN_HAND), 10, 'the thread still holds them: nobody waited for it');
        assert.equal(store.behind, 0, 'written on the daemon connection instead');
        // Let the thread go: its own writes of the same decisions change nothing (the gold stays).
        releaseWriterHold(hold);
        await threadHolds(hold, 0);
        assert.equal(store.getDecision('d3')!.gold, 'feature');
      } finally {
        store.close();
      }
      const after = inFile();
      try {
        assert.equal(after.recentDecisions(100).length, 10);
        assert.equal(after.getDecision('d3')!.gold, 'feature');
        assert.deepEqual(
          after.feedbackWindow(10).map((r) => r.decisionId),
          ['d3'],
        );
      } finally {
        after.close();
      }
      assert.deepEqual(threadErrors, []);
    });

    it(`the thread falls at most ${MAX_BEHIND} decisions behind: past that, decisions are written before recordDecision returns`, async () => {
      const hold = newWriterHold(true);
      const store = await openThreaded(file, driver, hold);
      try {
        const n = MAX_BEHIND + 5;
        for (let i = 1; i <= n; i++) {
          store.recordDecision(decision(`d${i}`, i % 60, [vote('qwen', 'bug')]), { source: 'live' });
          // One decision per turn of the event loop, as requests come: each is handed over on its own turn.
          await new Promise((r) => setImmediate(r));
        }
        assert.equal(store.behind, MAX_BEHIND);
        const other = inFile();
        try {
          // The thread (held) wrote nothing: the five past the bound are in the file already.
          assert.deepEqual(ids(other.recentDecisions(n)).sort(), ['d257', 'd258', 'd259', 'd260', 'd261']);
        } finally {
          other.close();
        }
        releaseWriterHold(hold);
      } finally {
        store.close();
      }
    });

    it('a thread that dies with decisions in hand loses none: they are written in place, and so is what follows', async () => {
      const hold = newWriterHold(true);
      const store = await openThreaded(file, driver, hold);
      try {
        for (let i = 1; i <= 10; i++) store.recordDecision(decision(`d${i}`, i, [vote('qwen', 'bug')]), { source: 'live' });
        await threadHolds(hold, 10);
        assert.equal(store.behind, 10, 'ten writes are pending when the thread dies');
        await (store as unknown as { worker: Worker }).worker.terminate();
        await until("the thread's end noticed", async () => (threadErrors.length > 0 ? true : undefined));
        assert.match(threadErrors.join('\n'), /writer thread .*written on the daemon's own connection/);
        const other = inFile();
        try {
          assert.deepEqual(ids(other.recentDecisions(100)).sort(), ['d1', 'd10', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd9']);
        } finally {
          other.close();
        }
        store.recordDecision(decision('after', 30, [vote('qwen', 'bug')]), { source: 'live' });
        assert.ok(store.getDecision('after'));
      } finally {
        store.close();
      }
      const after = inFile();
      try {
        assert.equal(after.recentDecisions(100).length, 11);
      } finally {
        after.close();
      }
    });
  });
}

describe('openStore', () => {
  let dir: string;
  let logged: string;
  let logger: Logger;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-open-'));
    logged = '';
    logger = new Logger('debug', (t) => (logged += t));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('SQLite at the path when it can', async () => {
    const file = path.join(dir, 'ensemble.db');
    const opened = await openStore(file, logger);
    try {
      assert.equal(opened.kind, 'sqlite');
      assert.equal(opened.path, file);
      assert.equal(opened.driver, availableDrivers()[0]);
      assert.equal(opened.reason, undefined);
      assert.ok(opened.store instanceof ThreadedStore);
      assert.equal(await opened.store.started, true);
      assert.ok(fs.existsSync(file));
      assert.doesNotMatch(logged, /error/);
    } finally {
      opened.store.close();
    }
  });

  it('memory, with the reason logged as an error, when the file is not a database', async () => {
    const file = path.join(dir, 'ensemble.db');
    fs.writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const opened = await openStore(file, logger, { maxMemoryDecisions: 7 });
    assert.equal(opened.kind, 'memory');
    assert.ok(opened.store instanceof MemoryStore);
    assert.equal((opened.store as MemoryStore).maxDecisions, 7);
    assert.equal(opened.reason, `cannot open ${file}: file is not a database`);
    assert.match(
      logged,
      new RegExp(`error +cannot open ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: file is not a database\\. Recording in MEMORY ONLY`),
    );
    // It works.
    opened.store.recordDecision(decision('d1', 1, [vote('qwen', 'bug')]), { source: 'live' });
    assert.deepEqual(ids(opened.store.recentDecisions(1)), ['d1']);
  });

  it('memory, with the reason, when the SQLite module does not load', async () => {
    const file = path.join(dir, 'ensemble.db');
    const opened = await openStore(file, logger, {
      loadSqlite: () =>
        Promise.reject(
          new SqliteUnavailableError(
            'the SQLite module (better-sqlite3) cannot be loaded under Electron 34.0.0 (Node 20.18.1, ABI 132): was compiled against NODE_MODULE_VERSION 115',
          ),
        ),
    });
    assert.equal(opened.kind, 'memory');
    assert.match(
      opened.reason!,
      /^the SQLite module \(better-sqlite3\) cannot be loaded under Electron 34\.0\.0 .*NODE_MODULE_VERSION 115$/,
    );
    assert.match(logged, /error +the SQLite module \(better-sqlite3\) cannot be loaded .* Recording in MEMORY ONLY/);
    assert.equal(fs.existsSync(file), false);
  });
});

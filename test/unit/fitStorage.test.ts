/**
 * What the router needs from the store, and what the daemon reads back: the input text of each
 * decision (an additive column, added to databases created before it), and stored fits validated
 * with zod (an older fit still loads; a damaged one is refused with the field named).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseStoredFit } from '../../daemon/learning/fitSchema';
import { fitStrategies } from '../../daemon/learning/fitStrategies';
import { LABELS, synthetic } from './learning/fixtures';
import { MemoryStore } from '../../daemon/store/memoryStore';
import { availableDrivers, openSqlite } from '../../daemon/store/sqliteDriver';
import { SqliteStore } from '../../daemon/store/sqliteStore';
import { INPUT_TEXT_CHARS, type Store } from '../../daemon/store/store';
import type { Decision } from '../../protocol/ensemble';
import { decisionOf, voteOf } from '../support/decisions';

/** A stored decision of one member without a confidence (what this file's fits read back). */
function decision(id: string): Decision {
  const vote = voteOf('a', 'bug', { confidence: null, rawConfidence: null, confidenceSource: 'none', probabilities: {}, latencyMs: 1 });
  return decisionOf(id, { votes: [vote], elapsedMs: 1, inputHash: 'h' });
}

// Each SQLite driver this runtime loads (node:sqlite under Node 22 and later, better-sqlite3 under Node 20).
const stores: Array<[string, () => Store]> = [
  ...availableDrivers().map((driver): [string, () => Store] => [`SqliteStore (${driver})`, () => new SqliteStore(':memory:', { driver })]),
  ['MemoryStore', () => new MemoryStore()],
];

describe('input text in the store', () => {
  for (const [name, open] of stores) {
    it(`${name}: labelled member votes carry the input text, cut to ${INPUT_TEXT_CHARS} characters`, () => {
      const store = open();
      try {
        store.recordDecision(decision('d1'), { source: 'record', gold: 'bug', text: 'app crashes on start' });
        store.recordDecision(decision('d2'), { source: 'record', gold: 'bug', text: 'x'.repeat(INPUT_TEXT_CHARS + 10) });
        store.recordDecision(decision('d3'), { source: 'record', gold: 'bug' });
        const byId = new Map(store.labelledMemberVotes('default').map((v) => [v.decisionId, v.text]));
        assert.equal(byId.get('d1'), 'app crashes on start');
        assert.equal(byId.get('d2')!.length, INPUT_TEXT_CHARS);
        assert.equal(byId.get('d3'), null);
      } finally {
        store.close();
      }
    });
  }

  it('a database created before the column gets it on open, and keeps its decisions', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-migrate-')), 'ensemble.db');
    const old = openSqlite(file);
    old.exec(`CREATE TABLE decisions (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, ensemble TEXT NOT NULL, strategy TEXT NOT NULL, input_hash TEXT NOT NULL,
      item_id TEXT, category TEXT, source TEXT NOT NULL, dataset TEXT, label TEXT, confidence REAL NOT NULL, agreement REAL NOT NULL, partial INTEGER NOT NULL,
      gold TEXT, json TEXT NOT NULL)`);
    old
      .prepare(
        `INSERT INTO decisions VALUES ('old', '2026-01-01', 'default', 'majority', 'h', NULL, NULL, 'live', NULL, 'bug', 1, 1, 0, NULL, ?)`,
      )
      .run(JSON.stringify(decision('old')));
    old.close();
    const store = new SqliteStore(file);
    try {
      assert.equal(store.getDecision('old')?.decision.id, 'old');
      store.recordDecision(decision('new'), { source: 'record', gold: 'bug', text: 'hello' });
      assert.equal(store.labelledMemberVotes('default').find((v) => v.decisionId === 'new')?.text, 'hello');
    } finally {
      store.close();
    }
  });
});

describe('stored fits', () => {
  const base = {
    ensemble: 'default',
    members: ['a', 'b'],
    global: [0.6, 0.4],
    byCategory: { law: [0.7, 0.3] },
    n: 10,
    fittedAt: '2026-01-01T00:00:00Z',
  };

  it('a fit from before the router loads, with no router and no stacking', () => {
    const r = parseStoredFit(base);
    assert.ok(r.ok);
    assert.equal(r.strategy.router, null);
    assert.equal(r.strategy.stacking, null);
    assert.equal(r.strategy.labelCount, 2);
  });

  it('a fit with a router and stacking over its extras loads, its size checked', () => {
    // 2 members with a router: 6 + 1 pair + 3 + (2 + 2) router + (4 + 2) patterns + 2 routerChoice = 22.
    const router = { bits: 4, weights: [0, 1].map(() => ({ index: [0, 3], value: [0.5, -1] })), threshold: 0.5, fallback: 1 };
    const stacking = { lambda: 3, weights: new Array(22).fill(0.1), usesRouter: true, extras: ['routerChoice'] };
    const r = parseStoredFit({ ...base, router, stacking });
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(r.strategy.stacking?.extras, ['routerChoice']);
  });

  it('what fitStrategies produces (router, stacking over its extras) is a valid stored fit', () => {
    const items = synthetic(120, [0.8, 0.6, 0.5], 3).map((it, i) => ({ ...it, text: i % 2 ? `integral ${i}` : `contract ${i}` }));
    const fit = fitStrategies(items, ['a', 'b', 'c'], LABELS);
    assert.ok(fit.router && fit.stacking?.usesRouter);
    assert.deepEqual(fit.stacking.extras, ['routerChoice']);
    const stored = JSON.parse(JSON.stringify({ ...base, ...fit, members: ['a', 'b', 'c'], byCategory: {} }));
    const r = parseStoredFit(stored);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(r.strategy.stacking, fit.stacking);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['a reliability per member', { ...base, global: [0.6] }, /global: expected 2 reliabilities/],
    ['probabilities in [0, 1]', { ...base, byCategory: { law: [1.5, 0.3] } }, /byCategory\.law\.0/],
    [
      'one router weight vector per member',
      { ...base, router: { bits: 8, weights: [{ index: [0], value: [1] }], threshold: 0.5, fallback: 1 } },
      /router\.weights: expected 2/,
    ],
    [
      'sparse vectors of matching length',
      {
        ...base,
        router: {
          bits: 8,
          weights: [
            { index: [0, 1], value: [1] },
            { index: [], value: [] },
          ],
          threshold: 0.5,
          fallback: 1,
        },
      },
      /same length/,
    ],
    ['an object at all', 'fit', /\(root\)/],
    [
      'stacking weights of exactly their dimension (2 members, no router: 3 * 2 + 1 pair + 3 + (4 + 2) patterns)',
      { ...base, stacking: { lambda: 1, weights: new Array(17).fill(0), usesRouter: false } },
      /stacking\.weights: expected 16 weights for 2 members, got 17/,
    ],
    [
      'per-category stacking weights of the same dimension',
      { ...base, stacking: { lambda: 1, weights: new Array(16).fill(0), usesRouter: false, byCategory: { law: [1, 2] } } },
      /stacking\.byCategory\.law: expected 16 weights/,
    ],
    [
      'only known extra feature groups',
      { ...base, stacking: { lambda: 1, weights: new Array(16).fill(0), usesRouter: false, extras: ['telepathy'] } },
      /stacking\.extras\.0/,
    ],
    [
      'stacking that reads a router has one',
      { ...base, stacking: { lambda: 1, weights: new Array(22).fill(0), usesRouter: true, extras: ['routerChoice'] } },
      /stacking reads the router/,
    ],
    [
      'router weights inside the hashed buckets',
      {
        ...base,
        router: {
          bits: 4,
          weights: [
            { index: [0, 16], value: [1, 1] },
            { index: [], value: [] },
          ],
          threshold: 0.5,
          fallback: 1,
        },
      },
      /router\.weights\.0: expected at most 16 buckets/,
    ],
  ];
  for (const [name, raw, message] of bad) {
    it(`refused: ${name}`, () => {
      const r = parseStoredFit(raw);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, message);
    });
  }
});

/**
 * Record a labelled dataset through the daemon (resumable), fit calibration on it, and see
 * calibrated confidences in later decisions. The generated models answer with ~0.9 confidence
 * whatever the text, so on a dataset with three balanced labels they are overconfident: a fitted
 * temperature must lower their ECE and their live confidence.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { LABELS, poolConfig, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';

describe('record, calibrate, recalibrated decisions', () => {
  let home: string;
  let daemon: TestDaemon;
  let dataset: string;

  before(async () => {
    home = tempHome();
    writeConfig(home, poolConfig(tinyPool(home)));
    dataset = path.join(home, 'tickets.jsonl');
    const lines = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ id: `t${i}`, text: `ticket number ${i}`, label: LABELS[i % 3], category: i % 2 ? 'web' : 'app' }),
    );
    fs.writeFileSync(dataset, `${lines.join('\n')}\n`);
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
  });

  it('a bad dataset line is refused with file, line and field', async () => {
    const bad = path.join(home, 'bad.jsonl');
    fs.writeFileSync(bad, '{"id": 1, "text": "ok", "label": "bug"}\n{"id": 2, "text": "no label"}\n');
    const r = await daemon.cli(['record', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.jsonl:2: field "label"/);
  });

  it('records part of the dataset, then resumes without redoing finished items', async () => {
    const first = await daemon.cli(['record', dataset, '--limit', '10']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /30 items, 0 already recorded, 10 to go/);
    const second = await daemon.cli(['record', dataset]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /30 items, 10 already recorded, 20 to go/);
    const db = new Database(path.join(home, 'ensemble.db'), { readonly: true });
    try {
      const decisions = db
        .prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT item_id) AS items FROM decisions WHERE source = 'record'")
        .get() as { n: number; items: number };
      assert.deepEqual(decisions, { n: 30, items: 30 });
      const votes = db
        .prepare("SELECT COUNT(*) AS n FROM votes v JOIN decisions d ON d.id = v.decision_id WHERE d.source = 'record' AND v.status = 'ok'")
        .get() as { n: number };
      assert.equal(votes.n, 90);
      const gold = db.prepare("SELECT gold, category FROM decisions WHERE item_id = 't4'").get() as { gold: string; category: string };
      assert.deepEqual(gold, { gold: 'feature', category: 'app' });
      assert.equal((db.pragma('journal_mode', { simple: true }) as string).toLowerCase(), 'wal');
    } finally {
      db.close();
    }
  });

  it('calibrate fits a temperature per model that lowers ECE, and later votes carry it', async () => {
    const r = await daemon.cli(['calibrate', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const fits = JSON.parse(r.stdout) as Array<{
      model: string;
      n: number;
      applied: boolean;
      params: { temperature: number };
      eceBefore: number;
      eceAfter: number;
    }>;
    assert.equal(fits.length, 3);
    for (const f of fits) {
      assert.equal(f.n, 30);
      assert.equal(f.applied, true);
      assert.ok(f.params.temperature > 1, `an overconfident model gets T > 1, got ${f.params.temperature}`);
      assert.ok(f.eceAfter < f.eceBefore, `${f.model}: ECE ${f.eceBefore} -> ${f.eceAfter}`);
    }
    const d = JSON.parse((await daemon.cli(['classify', 'another ticket', '--json'])).stdout) as {
      votes: Array<{ confidence: number; rawConfidence: number; label: string }>;
    };
    for (const v of d.votes) assert.ok(v.confidence < v.rawConfidence, `calibrated ${v.confidence} < raw ${v.rawConfidence}`);
  });

  it('ensemble eval reads the database: per-model accuracy recounted from the recordings, plus a report page', async () => {
    const db = path.join(home, 'ensemble.db');
    const html = path.join(home, 'report.html');
    const r = await daemon.cli(['eval', db, '--train-fraction', '0', '--json', '--html', html]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      items: number;
      withGold: number;
      perModel: Array<{ model: string; accuracy: number; n: number }>;
      strategies: Array<{ name: string; accuracy: number }>;
    };
    // The models answer bug, bug, feature whatever the text; gold cycles bug, feature, question.
    // 30 recorded items with gold, and the one live decision above without.
    assert.equal(report.items, 31);
    assert.equal(report.withGold, 30);
    assert.deepEqual(
      report.perModel.map((m) => [m.accuracy, m.n]),
      [
        [1 / 3, 30],
        [1 / 3, 30],
        [1 / 3, 30],
      ],
    );
    assert.equal(report.strategies.find((s) => s.name === 'majority')?.accuracy, 1 / 3);
    const page = fs.readFileSync(html, 'utf8');
    assert.match(page, /<svg/);
    assert.doesNotMatch(page, /<script src=|<link rel="stylesheet" href="http/);
  });
});

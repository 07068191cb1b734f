/**
 * `ensemble demo` end to end, offline, on generated toy models (`--toy`) and 30 items of the
 * shipped BANKING77 sample: every step of the loop runs for real (a daemon process, llama.cpp,
 * SQLite), the report is written, the output says the figures come from toy models, the demo's
 * daemon is stopped, and the user's own home is left as it was.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAlive, readDaemonFile } from '../../client/daemonClient';
import { loadFromDatabase } from '../../daemon/learning/recordingsDb';
import { runCli, tempHome } from './harness';

describe('ensemble demo --toy --items 30', () => {
  let userHome: string;
  let demoHome: string;
  let out: Awaited<ReturnType<typeof runCli>>;

  before(async () => {
    userHome = tempHome('ensemble-demo-user-');
    demoHome = path.join(userHome, 'demo');
    out = await runCli(userHome, ['demo', '--toy', '--items', '30'], { timeoutMs: 600_000 });
  });
  after(() => {
    const info = readDaemonFile(demoHome);
    if (info && isAlive(info.pid)) process.kill(info.pid, 'SIGKILL');
  });

  it('runs every step of the loop, in order, and exits 0', () => {
    assert.equal(out.code, 0, out.stderr);
    const steps = ['[1/5] recording 30 messages', '[2/5] calibrating', '[3/5] fitting', '[4/5] evaluating', '[5/5] one live decision'];
    let at = -1;
    for (const s of steps) {
      const i = out.stdout.indexOf(s);
      assert.ok(i > at, `"${s}" after the previous step in:\n${out.stdout}`);
      at = i;
    }
    assert.match(out.stdout, /fitted on 30 labelled items/);
    assert.match(out.stdout, /^recommendation: .+/m);
  });

  it('says plainly that the figures come from toy models, not classification quality', () => {
    assert.match(out.stdout, /tiny generated models/);
    assert.match(out.stdout, /demonstrate the loop .*not classification quality/s);
  });

  it('records every member on every item, from the shipped sample, in its own home', () => {
    // Labelled recordings; the live decision at the end is in the database too, without gold.
    const recs = loadFromDatabase(path.join(demoHome, 'ensemble.db'), {}).filter((r) => r.gold !== undefined);
    const models = [...new Set(recs.map((r) => r.model))];
    assert.equal(models.length, 3);
    assert.equal(recs.length, 30 * 3);
    assert.equal(new Set(recs.map((r) => r.gold)).size, 12, '30 items spread over all 12 intents of the sample');
    const report = fs.readFileSync(path.join(demoHome, 'report.html'), 'utf8');
    for (const m of models) assert.ok(report.includes(m), `the report names ${m}`);
  });

  it('stops its daemon and leaves the user home without a config', () => {
    assert.equal(readDaemonFile(demoHome), null, 'the demo daemon was stopped');
    assert.equal(fs.existsSync(path.join(userHome, 'config.json')), false);
    assert.equal(fs.existsSync(path.join(userHome, 'ensemble.db')), false);
  });

  it("starts from a clean demo home when run again: the last run's recordings are gone, not added to", async () => {
    const again = await runCli(userHome, ['demo', '--toy', '--items', '24'], { timeoutMs: 600_000 });
    assert.equal(again.code, 0, again.stderr);
    const recs = loadFromDatabase(path.join(demoHome, 'ensemble.db'), {}).filter((r) => r.gold !== undefined);
    assert.equal(recs.length, 24 * 3);
    assert.equal(readDaemonFile(demoHome), null);
  });

  it("refuses to run in the user's own home, and a too-small --items, with exit code 2", async () => {
    const own = await runCli(userHome, ['demo', '--toy', '--home', userHome]);
    assert.equal(own.code, 2);
    assert.match(own.stderr, /is your own ENSEMBLE_HOME/);
    const items = await runCli(userHome, ['demo', '--toy', '--items', '1']);
    assert.equal(items.code, 2);
    assert.match(items.stderr, /--items: expected a whole number of at least 2/);
  });
});

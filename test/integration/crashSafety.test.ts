/**
 * kill -9 of the daemon in the middle of `ensemble record` and of `ensemble calibrate` leaves the
 * old state or the new one, never a mix: after a restart the database passes SQLite's integrity
 * check, every recorded decision has all its votes, a resumed record finishes with each item
 * exactly once, and the calibrations in force all come from one fit.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAlive, readDaemonFile } from '../../client/daemonClient';
import { until } from '../support/until';
import { alts, startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';
import { LABELS, cliPath, startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';

async function openDb(file: string) {
  const { default: Database } = await import('better-sqlite3');
  return new Database(file, { readonly: true, fileMustExist: true });
}

/** Runs the CLI; `exited` is taken at once, so an exit before anyone waits is not missed. */
function spawnCli(home: string, args: string[]) {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ENSEMBLE_HOME: home }, stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, exited };
}

/** A CLI that found no daemon starts one: stop it, so the test restarts the daemon itself. */
async function stopAutostarted(home: string): Promise<void> {
  const info = readDaemonFile(home);
  if (info) await killHard(info.pid);
}

async function killHard(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await until(`process ${pid} to die`, async () => (isAlive(pid) ? undefined : true), 5_000, 25);
}

describe('kill -9 during record and calibrate', { timeout: 300_000 }, () => {
  let home: string;
  let daemon: TestDaemon;
  const servers: FakeOpenAiServer[] = [];
  const items = Array.from({ length: 60 }, (_, i) => ({
    id: `t${String(i).padStart(2, '0')}`,
    text: `ticket ${i}: it crashes`,
    label: i % 3 === 0 ? 'feature' : 'bug',
  }));
  let dataset: string;

  before(async () => {
    home = tempHome();
    const favour = ['bug', 'bug', 'feature'];
    for (const f of favour) {
      const other = f === 'bug' ? 'feature' : 'bug';
      servers.push((await startOpenAiServer()).script({ tokens: [{ token: f, top: alts({ [f]: 0.7, [other]: 0.3 }) }] }));
    }
    writeConfig(home, {
      models: servers.map((s, i) => ({ id: `m${i}`, backend: 'openai', baseUrl: s.baseUrl, model: 'test-model' })),
      ensembles: { default: { members: ['m0', 'm1', 'm2'], strategy: 'majority', labels: LABELS } },
    });
    dataset = path.join(home, 'tickets.jsonl');
    fs.writeFileSync(dataset, items.map((i) => JSON.stringify(i)).join('\n'));
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
    for (const s of servers) await s.close();
  });

  async function checkConsistent(): Promise<number> {
    const db = await openDb(path.join(home, 'ensemble.db'));
    try {
      assert.equal((db.pragma('integrity_check') as Array<{ integrity_check: string }>)[0]!.integrity_check, 'ok');
      const perDecision = db
        .prepare('SELECT d.id, COUNT(v.member) AS n FROM decisions d LEFT JOIN votes v ON v.decision_id = d.id GROUP BY d.id')
        .all() as Array<{ n: number }>;
      assert.ok(
        perDecision.every((r) => r.n === 3),
        'every decision has all three votes',
      );
      const orphans = db.prepare('SELECT COUNT(*) AS n FROM votes WHERE decision_id NOT IN (SELECT id FROM decisions)').get() as {
        n: number;
      };
      assert.equal(orphans.n, 0);
      const dup = db
        .prepare(
          'SELECT COUNT(*) AS n FROM (SELECT item_id FROM decisions WHERE dataset IS NOT NULL GROUP BY dataset, ensemble, item_id HAVING COUNT(*) > 1)',
        )
        .get() as { n: number };
      assert.equal(dup.n, 0);
      return perDecision.length;
    } finally {
      db.close();
    }
  }

  it('record: killed mid-run, restarted, resumed: every item once, every decision whole', async () => {
    const cli = spawnCli(home, ['record', dataset, '--labels', LABELS.join(','), '--concurrency', '4']);
    // Kill once some items are in, well before all are.
    // Polled often (20 ms) so the kill lands well before the 60 items are done.
    await until(
      'some items to be recorded',
      async () => {
        try {
          const db = await openDb(path.join(home, 'ensemble.db'));
          const recorded = (db.prepare('SELECT COUNT(*) AS n FROM decisions').get() as { n: number }).n;
          db.close();
          return recorded >= 8 ? true : undefined;
        } catch {
          return undefined; // not created yet
        }
      },
      60_000,
      20,
    );
    await killHard(daemon.info.pid);
    await cli.exited;
    await stopAutostarted(home);
    const before = await checkConsistent();
    assert.ok(before > 0 && before < items.length, `${before} items recorded before the kill`);

    daemon = await startTestDaemon(home);
    const resumed = await daemon.cli(['record', dataset, '--labels', LABELS.join(','), '--concurrency', '4']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`${before} already recorded, ${items.length - before} to go`));
    assert.equal(await checkConsistent(), items.length);
  });

  it('calibrate: killed at random points, restarted: the calibrations are all from one fit', async () => {
    const first = await daemon.cli(['calibrate', '--min-samples', '5', '--json']);
    assert.equal(first.code, 0, first.stderr);
    // More labelled votes, so the next fit differs from the first one in `n` for every model.
    const more = path.join(home, 'more.jsonl');
    fs.writeFileSync(more, items.map((i) => JSON.stringify({ ...i, id: `more-${i.id}` })).join('\n'));
    assert.equal((await daemon.cli(['record', more, '--labels', LABELS.join(','), '--concurrency', '4'])).code, 0);
    for (let round = 0; round < 4; round++) {
      const cli = spawnCli(home, ['calibrate', '--min-samples', '5']);
      // Random points from before the CLI connects to after the fit: whichever the kill meets. This
      // delay is the test's input (where the kill lands), not a wait: every outcome is checked below.
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 1_200));
      await killHard(daemon.info.pid);
      await cli.exited;
      await stopAutostarted(home);
      const db = await openDb(path.join(home, 'ensemble.db'));
      const rows = db.prepare('SELECT model, n FROM calibration').all() as Array<{ model: string; n: number }>;
      db.close();
      assert.equal(rows.length, 3);
      assert.equal(new Set(rows.map((r) => r.n)).size, 1, `one fit in force, not a mix: ${JSON.stringify(rows)}`);
      await checkConsistent();
      daemon = await startTestDaemon(home);
    }
  });
});

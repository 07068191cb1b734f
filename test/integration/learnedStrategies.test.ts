/**
 * Live learned aggregation: record a labelled dataset on which the lone "feature" model is right
 * far more often than the two "bug" models, fit, and see the `learned` strategy overrule the
 * majority and `routed` ask the reliable model first and stop after one call.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Decision } from '../../protocol/ensemble';
import type { PoolModel } from '../fixtures/gguf/models';
import { LABELS, poolConfig, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';

describe('learned and routed strategies', () => {
  let daemon: TestDaemon;
  let models: PoolModel[];
  let dataset: string;

  before(async () => {
    const home = tempHome();
    models = tinyPool(home);
    writeConfig(home, poolConfig(models));
    dataset = path.join(home, 'labelled.jsonl');
    const gold = (i: number) => (i % 5 === 0 ? 'bug' : 'feature');
    fs.writeFileSync(
      dataset,
      Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: i, text: `request ${i}`, label: gold(i), category: 'tickets' })).join('\n'),
    );
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
  });

  it('refuses the learned strategies before a fit, saying what to run', async () => {
    const r = await daemon.cli(['classify', 'x', '--strategy', 'learned']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no fitted aggregation.*ensemble record.*ensemble fit/s);
  });

  it('fits member reliabilities on the recordings', async () => {
    assert.equal((await daemon.cli(['record', dataset, '--labels', LABELS.join(',')])).code, 0);
    const r = await daemon.cli(['fit', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const fit = JSON.parse(r.stdout) as {
      n: number;
      categories: string[];
      members: Array<{ member: string; reliability: number; weight: number }>;
    };
    assert.equal(fit.n, 20);
    assert.deepEqual(fit.categories, ['tickets']);
    // bug models: right on 4 of 20; the feature model: on 16 of 20 (Laplace-smoothed).
    assert.ok(Math.abs(fit.members[0]!.reliability - 5 / 22) < 1e-9);
    assert.ok(Math.abs(fit.members[2]!.reliability - 17 / 22) < 1e-9);
    assert.ok(fit.members[2]!.weight > fit.members[0]!.weight);
  });

  it('learned: the reliable minority overrules the majority', async () => {
    const majority = Decision.parse(JSON.parse((await daemon.cli(['classify', 'new request', '--json'])).stdout));
    assert.equal(majority.label, 'bug');
    const learned = Decision.parse(JSON.parse((await daemon.cli(['classify', 'new request', '--strategy', 'learned', '--json'])).stdout));
    assert.equal(learned.label, 'feature');
    assert.equal(learned.votes.length, 3);
    assert.ok(learned.votes[2]!.weight > learned.votes[0]!.weight);
  });

  it('routed: the router reads the input, asks the member most likely right, and shows its scores', async () => {
    const conn = await daemon.connect();
    try {
      const d = await conn.rpc.request('ensemble/classify', { text: 'new request', strategy: 'routed', category: 'tickets' });
      assert.equal(d.label, 'feature');
      assert.deepEqual(d.route!.chosen, [models[2]!.id]);
      assert.equal(d.route!.ranked[0], models[2]!.id);
      assert.ok(d.route!.scores[models[2]!.id]! > d.route!.scores[models[0]!.id]!);
      assert.deepEqual(
        d.votes.map((v) => v.status),
        ['skipped', 'skipped', 'ok'],
      );
      assert.equal(d.calls, 1);
      assert.equal(d.earlyExit, true);
    } finally {
      conn.close();
    }
  });

  it('the CLI sends the category and shows whom the router asked, with its scores', async () => {
    const r = await daemon.cli(['classify', 'new request', '--strategy', 'routed', '--category', 'tickets']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^feature\s+confidence/m);
    assert.match(r.stdout, /^1 call in 1 round$/m);
    assert.match(r.stdout, new RegExp(`^router \\(asks more under [0-9.]+\\): \\*${models[2]!.id} [0-9.]+ `, 'm'));
  });
});

/**
 * Numbers and bodies from members are untrusted input. Three loopback OpenAI-shape members, one of
 * which misbehaves in turn (logprob 1000, +/-Infinity as 1e999, NaN-ish strings, 500, 503,
 * malformed JSON, a connection reset mid-body): its vote becomes an `error` naming what it sent,
 * the others decide, nothing non-finite reaches the decision or the store, and `decisions/recent`
 * keeps working. Then `ensemble record` is idempotent per item and a resume retries exactly the
 * items whose votes failed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DaemonConnection } from '../../client/daemonClient';
import { Decision } from '../../protocol/ensemble';
import { startOpenAiServer, alts, type FakeOpenAiServer, type FakeReply } from '../fakes/openaiServer';
import { LABELS, startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';

const good: FakeReply = { tokens: [{ token: 'bug', top: alts({ bug: 0.8, feature: 0.2 }) }] };
const rawWith = (logprob: string) =>
  `{"choices": [{"message": {"content": "bug"}, "logprobs": {"content": [{"token": "bug", "logprob": ${logprob}, "top_logprobs": []}]}}]}`;

describe('members that answer absurd numbers or broken bodies', { timeout: 120_000 }, () => {
  let home: string;
  let daemon: TestDaemon;
  let conn: DaemonConnection;
  const servers: FakeOpenAiServer[] = [];

  before(async () => {
    home = tempHome();
    for (let i = 0; i < 3; i++) servers.push((await startOpenAiServer()).script(good));
    writeConfig(home, {
      models: servers.map((s, i) => ({ id: `m${i}`, backend: 'openai', baseUrl: s.baseUrl, model: 'test-model' })),
      ensembles: { default: { members: ['m0', 'm1', 'm2'], strategy: 'weighted', labels: LABELS, memberTimeoutMs: 5_000 } },
      // One bad answer after another from m1 is the point here: keep its circuit breaker closed so
      // each case reaches the server (the breaker has tests of its own).
      daemon: { breakerThreshold: 100 },
    });
    daemon = await startTestDaemon(home);
    conn = await daemon.connect();
  });
  after(async () => {
    conn?.close();
    await daemon?.stop();
    for (const s of servers) await s.close();
  });

  const cases: Array<[string, FakeReply, RegExp]> = [
    ['logprob 1000', { raw: rawWith('1000') }, /logprob 1000 for token "bug"/],
    ['+Infinity (1e999)', { raw: rawWith('1e999') }, /logprob Infinity/],
    ['a NaN-ish string', { raw: rawWith('"NaN"') }, /logprob "NaN"/],
    ['500', { error: 500, message: 'boom' }, /answered 500: boom/],
    ['503', { error: 503, message: 'loading' }, /busy \(503\)/],
    ['malformed JSON', { raw: '{"choices": [', contentType: 'application/json' }, /invalid JSON/],
    ['a connection reset mid-body', { reset: true }, /./],
  ];
  for (const [what, reply, message] of cases) {
    it(`${what}: that vote is an error saying so, the others decide`, async () => {
      servers[1]!.script(reply);
      const d = await conn.rpc.request('ensemble/classify', { text: 'It crashes on save' });
      assert.equal(d.label, 'bug');
      assert.equal(d.votes[1]!.status, 'error');
      assert.match(d.votes[1]!.error!.message, message);
      assert.deepEqual(
        d.votes.map((v) => v.status),
        ['ok', 'error', 'ok'],
      );
      assert.ok(Number.isFinite(d.confidence) && d.confidence > 0.5);
      Decision.parse(d);
    });
  }

  it('-Infinity (-1e999) is probability 0: the vote counts, finite', async () => {
    servers[1]!.script({
      raw: `{"choices": [{"message": {"content": "bug"}, "logprobs": {"content": [{"token": "bug", "logprob": -0.1,
      "top_logprobs": [{"token": "bug", "logprob": -0.1}, {"token": "feature", "logprob": -1e999}]}]}}]}`,
    });
    const d = await conn.rpc.request('ensemble/classify', { text: 'It crashes on save' });
    assert.equal(d.votes[1]!.status, 'ok');
    assert.equal(d.votes[1]!.probabilities.feature, 0);
  });

  it('decisions/recent lists every decision above, each one valid', async () => {
    const recent = await conn.rpc.request('decisions/recent', { limit: 50 });
    assert.equal(recent.length, cases.length + 1);
    for (const d of recent) Decision.parse(d);
  });

  it('ensemble record: a failed vote leaves its item for the resume, which records each item exactly once', async () => {
    const file = path.join(home, 'tickets.jsonl');
    const items = Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, text: `ticket number ${i}`, label: 'bug' }));
    fs.writeFileSync(file, items.map((i) => JSON.stringify(i)).join('\n'));
    // Member m2 fails on every other request during the first run.
    let n = 0;
    servers[2]!.script(() => (n++ % 2 === 0 ? { error: 500, message: 'flaky' } : good));
    const first = await daemon.cli(['record', file, '--labels', LABELS.join(','), '--concurrency', '1']);
    assert.equal(first.code, 0, first.stderr);
    const page1 = await conn.rpc.request('recordings/items', { dataset: path.resolve(file) });
    assert.ok(page1.itemIds.length < items.length, `some items had a failed vote (${page1.itemIds.length} complete)`);
    servers[2]!.script(good);
    const second = await daemon.cli(['record', file, '--labels', LABELS.join(','), '--concurrency', '2']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, new RegExp(`${page1.itemIds.length} already recorded, ${items.length - page1.itemIds.length} to go`));
    const page2 = await conn.rpc.request('recordings/items', { dataset: path.resolve(file) });
    assert.deepEqual(
      page2.itemIds,
      items.map((i) => i.id),
    );
    // One decision per item in the database, however many runs it took.
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path.join(home, 'ensemble.db'), { readonly: true });
    const rows = db.prepare('SELECT item_id, COUNT(*) AS n FROM decisions WHERE dataset IS NOT NULL GROUP BY item_id').all() as Array<{
      n: number;
    }>;
    db.close();
    assert.equal(rows.length, items.length);
    assert.ok(rows.every((r) => r.n === 1));
  });
});

/**
 * Adaptive member timeouts, in a real daemon process (`daemon.laggards.adaptiveTimeout`): a member
 * that answered quickly for a few requests and then turns slow is given up on at its observed p99
 * times the factor (here: at most a few seconds), not at the ensemble's 60 s member timeout; the
 * others' votes decide. With the switch off the same slow member is waited for (the laggards test).
 *
 * No timed assertion: the slow member answers 30 s late, so only the timeout's size (reported in
 * the vote's error) is checked, against the configured 60 s.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { alts, startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';
import { LABELS, startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';

describe('adaptive member timeouts in a real daemon', { timeout: 120_000 }, () => {
  let home: string;
  let daemon: TestDaemon;
  const servers: FakeOpenAiServer[] = [];

  before(async () => {
    home = tempHome();
    for (let i = 0; i < 3; i++) servers.push(await startOpenAiServer());
    for (const s of servers) s.script({ tokens: [{ token: 'bug', top: alts({ bug: 0.8, feature: 0.2 }) }] });
    const ids = ['a', 'b', 'wobbly'];
    writeConfig(home, {
      models: ids.map((id, i) => ({ id, backend: 'openai', baseUrl: servers[i]!.baseUrl, model: 'test-model' })),
      ensembles: { default: { members: ids, strategy: 'majority', labels: LABELS, memberTimeoutMs: 60_000, deadlineMs: 90_000 } },
      daemon: { laggards: { minSamples: 3, adaptiveTimeout: { factor: 2, minMs: 500 } } },
    });
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
    await Promise.all(servers.map((s) => s.close()));
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('gives up on a member that turned slow at its observed latency, not the configured timeout', async () => {
    const conn = await daemon.connect();
    try {
      for (let i = 0; i < 3; i++) {
        const d = await conn.rpc.request('ensemble/classify', { text: `warm-up ${i}` });
        assert.ok(d.votes.every((v) => v.status === 'ok'));
      }
      servers[2]!.delayMs = 30_000;
      const d = await conn.rpc.request('ensemble/classify', { text: 'now it is slow' });
      const wobbly = d.votes.find((v) => v.member === 'wobbly')!;
      assert.equal(wobbly.status, 'timeout');
      const limit = Number(/no answer within (\d+) ms/.exec(wobbly.error?.message ?? '')?.[1]);
      assert.ok(limit >= 500 && limit < 60_000, `timed out at ${limit} ms (${wobbly.error?.message})`);
      assert.equal(d.label, 'bug', 'the others decided');
      assert.ok(d.votes.filter((v) => v.member !== 'wobbly').every((v) => v.status === 'ok'));
    } finally {
      conn.close();
    }
  });
});

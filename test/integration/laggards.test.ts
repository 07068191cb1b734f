/**
 * Laggards live, in a real daemon process: three OpenAI-compatible members on loopback, one of them
 * answering 1.5 s late. After a few decisions the slow one is flagged in pool/status with the advice
 * in words, and under `lowerWeight` its vote weighs a quarter of what it weighed before. The same
 * status carries the diversity view of the ensemble's recorded decisions.
 *
 * No timed assertion: the delay (1.5 s against a few ms) only has to make the slow member's p90
 * more than twice the others'; nothing asserts how long anything took.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { LAGGARD_ADVICE } from '../../daemon/pool/laggards';
import { alts, startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';
import { LABELS, startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';

describe('a deliberately slow member in a real daemon', { timeout: 120_000 }, () => {
  let home: string;
  let daemon: TestDaemon;
  const servers: FakeOpenAiServer[] = [];

  before(async () => {
    home = tempHome();
    for (const delayMs of [0, 0, 1500]) servers.push(await startOpenAiServer({ delayMs }));
    servers[0]!.script({ tokens: [{ token: 'bug', top: alts({ bug: 0.8, feature: 0.2 }) }] });
    servers[1]!.script({ tokens: [{ token: 'bug', top: alts({ bug: 0.7, feature: 0.3 }) }] });
    servers[2]!.script({ tokens: [{ token: 'feature', top: alts({ feature: 0.9, bug: 0.1 }) }] });
    const ids = ['fast-a', 'fast-b', 'slow'];
    writeConfig(home, {
      models: ids.map((id, i) => ({ id, backend: 'openai', baseUrl: servers[i]!.baseUrl, model: 'test-model' })),
      ensembles: { default: { members: ids, strategy: 'weighted', labels: LABELS, memberTimeoutMs: 20_000, deadlineMs: 30_000 } },
      daemon: { laggards: { factor: 2, policy: 'lowerWeight', window: 5, minSamples: 3, weightFactor: 0.25 } },
    });
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
    await Promise.all(servers.map((s) => s.close()));
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('is flagged after a few decisions, and its weight is lowered', async () => {
    const conn = await daemon.connect();
    try {
      const slowWeights: number[] = [];
      for (let i = 0; i < 4; i++) {
        const d = await conn.rpc.request('ensemble/classify', { text: `the app crashes ${i}` });
        const slow = d.votes.find((v) => v.member === 'slow')!;
        assert.equal(slow.status, 'ok');
        slowWeights.push(slow.weight);
        if (i === 2) {
          const status = await conn.rpc.request('pool/status', {});
          const flagged = status.models.filter((m) => m.laggard).map((m) => m.id);
          assert.deepEqual(flagged, ['slow']);
          const flag = status.models.find((m) => m.id === 'slow')!.laggard!;
          assert.equal(flag.policy, 'lowerWeight');
          assert.ok(flag.message.includes(LAGGARD_ADVICE), flag.message);
          assert.ok(flag.p90Ms > 2 * flag.othersP90Ms);
        }
      }
      assert.ok(slowWeights[0]! > 0);
      assert.deepEqual(slowWeights.slice(0, 3), [slowWeights[0], slowWeights[0], slowWeights[0]], 'not judged before minSamples answers');
      assert.ok(
        Math.abs(slowWeights[3]! - slowWeights[0]! * 0.25) < 1e-9,
        `weight ${slowWeights[3]} after the flag, ${slowWeights[0]} before`,
      );

      // The same status shows the ensemble's diversity: four decisions, too few to judge yet, said in words.
      const status = await conn.rpc.request('pool/status', {});
      assert.equal(status.diversity?.ensemble, 'default');
      assert.deepEqual(status.diversity?.members, ['fast-a', 'fast-b', 'slow']);
      assert.equal(status.diversity?.items, 4);
      assert.deepEqual(status.diversity?.agreement[0], [1, 1, 0]);
      assert.match(status.diversity!.hints[0]!, /^Too few decisions \(4\)/);

      // pool/diversity gives the same view for a named ensemble, and names an unknown one.
      assert.deepEqual(await conn.rpc.request('pool/diversity', { ensemble: 'default' }), status.diversity);
      await assert.rejects(conn.rpc.request('pool/diversity', { ensemble: 'nope' }), /no ensemble named "nope"/);

      // `ensemble status` says it in words too.
      const cli = await daemon.cli(['status']);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(
        cli.stdout,
        /slow: slow is consistently slow: replace it, give it a shorter timeout or lower its weight \(p90 \d+ ms.*\[policy lowerWeight\]/,
      );
      assert.match(cli.stdout, /diversity of default \(4 decisions, 0 with feedback\):\n {2}- Too few decisions \(4\)/);
    } finally {
      conn.close();
    }
  });
});

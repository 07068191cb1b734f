/**
 * The daemon reports its own event-loop delay: `pool/status` carries mean, p99 and max (schema-checked
 * by the client), and `ensemble status` prints them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { until } from '../support/until';
import { LABELS, startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';

describe('event-loop delay in status', { timeout: 120_000 }, () => {
  let daemon: TestDaemon;

  before(async () => {
    const home = tempHome();
    writeConfig(home, {
      models: [{ id: 'm', backend: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'test-model' }],
      ensembles: { default: { members: ['m'], strategy: 'majority', labels: LABELS } },
    });
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
  });

  it('pool/status carries the figures, consistent with each other', async () => {
    const conn = await daemon.connect();
    try {
      // The monitor samples every 10 ms: wait until it has (a fresh daemon may answer first).
      const loop = await until('loop-delay samples', async () => {
        const s = await conn.rpc.request('pool/status', {});
        return s.eventLoop && s.eventLoop.maxMs > 0 ? s.eventLoop : undefined;
      });
      assert.ok(loop.meanMs <= loop.maxMs && loop.p99Ms <= loop.maxMs, JSON.stringify(loop));
      assert.ok(loop.windowMs > 0);
    } finally {
      conn.close();
    }
  });

  it('`ensemble status` prints them', async () => {
    const { code, stdout, stderr } = await daemon.cli(['status']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /event loop delay p99 [\d.]+ ms, max [\d.]+ ms, mean [\d.]+ ms \(last \d+ s\)/);
  });
});

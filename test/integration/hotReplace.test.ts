/**
 * Replacing a member under load, in a real daemon process: two OpenAI-compatible members on
 * loopback, the one to be replaced answering 2.5 s late, so calls are running on it when
 * config.json is rewritten to point that member at another server. Every request of the stream
 * succeeds with every member's vote (the calls in flight finish on the old server: it is disposed
 * only once they end), and the requests sent after the reload are answered by the new server.
 *
 * No timed assertion: the delay only makes calls overlap the rewrite; the test waits on what the
 * servers received, never on how long anything took.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Decision } from '../../protocol/ensemble';
import { alts, startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';
import { until } from '../support/until';
import { LABELS, daemonLog, startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';

const chats = (s: FakeOpenAiServer) => s.requests.filter((r) => r.path === '/v1/chat/completions').length;
describe('a member replaced while requests run', { timeout: 180_000 }, () => {
  let home: string;
  let daemon: TestDaemon;
  let steady: FakeOpenAiServer;
  let oldServer: FakeOpenAiServer;
  let newServer: FakeOpenAiServer;

  const config = (swappedUrl: string) => ({
    models: [
      { id: 'steady', backend: 'openai', baseUrl: steady.baseUrl, model: 'test-model' },
      { id: 'swapped', backend: 'openai', baseUrl: swappedUrl, model: 'test-model' },
    ],
    ensembles: {
      default: { members: ['steady', 'swapped'], strategy: 'majority', labels: LABELS, memberTimeoutMs: 30_000, deadlineMs: 40_000 },
    },
  });

  before(async () => {
    home = tempHome();
    steady = await startOpenAiServer();
    oldServer = await startOpenAiServer({ delayMs: 2500 });
    newServer = await startOpenAiServer();
    steady.script({ tokens: [{ token: 'bug', top: alts({ bug: 0.8, feature: 0.2 }) }] });
    oldServer.script({ tokens: [{ token: 'bug', top: alts({ bug: 0.7, feature: 0.3 }) }] });
    newServer.script({ tokens: [{ token: 'feature', top: alts({ feature: 0.9, bug: 0.1 }) }] });
    writeConfig(home, config(oldServer.baseUrl));
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
    await Promise.all([steady, oldServer, newServer].map((s) => s?.close()));
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('loses no request, and new requests use the new member', async () => {
    const conn = await daemon.connect();
    try {
      const ask = (i: number) => conn.rpc.request('ensemble/classify', { text: `the app crashes ${i}` }) as Promise<Decision>;
      const before = [0, 1, 2].map(ask);
      // Rewrite config.json once those calls are running on the old server (it answers 2.5 s late).
      await oldServer.when(() => chats(oldServer) >= 3);
      writeConfig(home, config(newServer.baseUrl));
      // Keep the stream going (one request per probe) until the daemon has picked up the change.
      const during: Promise<Decision>[] = [];
      await until('the daemon to use the new member', async () => {
        during.push(ask(3 + during.length));
        return chats(newServer) > 0 ? true : undefined;
      });
      const afterReload = await Promise.all([100, 101, 102].map(ask));
      const all = [...(await Promise.all(before)), ...(await Promise.all(during)), ...afterReload];

      for (const d of all) {
        for (const v of d.votes) assert.equal(v.status, 'ok', `${v.member}: ${JSON.stringify(v.error)}`);
      }
      // The calls that were running on the old server when it was replaced finished there.
      for (const d of await Promise.all(before)) assert.equal(d.votes.find((v) => v.member === 'swapped')?.label, 'bug');
      // Requests sent after the reload are answered by the new server.
      for (const d of afterReload) assert.equal(d.votes.find((v) => v.member === 'swapped')?.label, 'feature');
      assert.match(daemonLog(home), /model swapped left the pool \(config changed\): disposed once its \d+ call\(s\) in flight finish/);
    } finally {
      conn.close();
    }
  });
});

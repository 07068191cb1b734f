/**
 * What a kill -9 costs under live traffic, counted: a client keeps classify requests in flight
 * against fake members, the daemon is SIGKILLed mid-stream, and after a restart on the same home we
 * count the decisions the client got a reply for that are not in the store. The bound the docs state
 * (docs/storage.md): never more than the writer thread's backlog cap, MAX_BEHIND decisions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isAlive } from '../../client/daemonClient';
import { MAX_BEHIND } from '../../daemon/store/threadedStore';
import { alts, startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';
import { until } from '../support/until';
import { LABELS, startTestDaemon, tempHome, writeConfig } from './harness';

/** Requests in flight at once: enough that the writer thread has decisions in hand when the kill comes. */
const CLIENTS = 16;
/** Replies before the kill: the daemon is past its start and busy recording. */
const KILL_AFTER = 600;

describe('kill -9 under live classify traffic', { timeout: 300_000 }, () => {
  const servers: FakeOpenAiServer[] = [];
  before(async () => {
    for (const label of ['bug', 'bug', 'feature']) {
      const other = label === 'bug' ? 'feature' : 'bug';
      servers.push((await startOpenAiServer()).script({ tokens: [{ token: label, top: alts({ [label]: 0.7, [other]: 0.3 }) }] }));
    }
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  it(`loses at most ${MAX_BEHIND} of the decisions it replied with`, async (t) => {
    const home = tempHome();
    writeConfig(home, {
      models: servers.map((s, i) => ({ id: `m${i}`, backend: 'openai', baseUrl: s.baseUrl, model: 'test-model' })),
      ensembles: { default: { members: ['m0', 'm1', 'm2'], strategy: 'majority', labels: LABELS } },
    });
    const daemon = await startTestDaemon(home);
    const replied: string[] = [];
    const conn = await daemon.connect();
    let killed = false;
    const client = async (n: number) => {
      for (let i = 0; !killed; i++) {
        try {
          const d = await conn.rpc.request('ensemble/classify', { text: `ticket ${n}.${i}: the app crashes on save` });
          // A reply that arrives is a decision the user holds an id for, whether or not the kill came next.
          replied.push(d.id);
        } catch {
          return; // the connection went with the daemon
        }
        if (replied.length >= KILL_AFTER && !killed) {
          killed = true;
          process.kill(daemon.info.pid, 'SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    conn.close();
    await until('the killed daemon gone', async () => (isAlive(daemon.info.pid) ? undefined : true), 30_000);

    const restarted = await startTestDaemon(home);
    try {
      const again = await restarted.connect();
      const stored = new Set<string>();
      try {
        const status = await again.rpc.request('pool/status', {});
        assert.equal(status.storage?.kind, 'sqlite');
        // Every live decision, newest first, a page at a time.
        for (let before: string | undefined; ;) {
          const page = await again.rpc.request('decisions/recent', { limit: 500, ...(before ? { before } : {}) });
          for (const d of page) stored.add(d.id);
          if (page.length < 500) break;
          before = page.at(-1)!.id;
        }
      } finally {
        again.close();
      }
      const missing = replied.filter((id) => !stored.has(id)).length;
      t.diagnostic(`${replied.length} replies, ${stored.size} decisions stored, ${missing} replied-to decisions missing after kill -9`);
      assert.ok(replied.length >= KILL_AFTER);
      assert.ok(missing <= MAX_BEHIND, `${missing} replied-to decisions lost, more than the stated bound of ${MAX_BEHIND}`);
    } finally {
      await restarted.stop();
    }
  });
});

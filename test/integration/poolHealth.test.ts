/**
 * The pool as a supervisor of HTTP members (the real Pool and OpenAiBackend against loopback
 * servers; the breaker's clock is injected, nothing waits on real cool-downs): circuit breaker
 * open / half-open / close on a server that fails then recovers; a server that accepts connections
 * but never answers its health check; per-member limits with a bounded queue (fast BackendBusy,
 * bounded memory) and a slow member that does not starve a fast one.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { PoolConfig, type PoolConfigInput } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import type { Backend } from '../../daemon/backends/backend';
import { createBackend } from '../../daemon/createBackend';
import { Logger } from '../../daemon/process/log';
import { Pool } from '../../daemon/pool/pool';
import { startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';

const LABELS = ['bug', 'feature'];
const classify = (b: Backend, signal: AbortSignal) => b.classify({ text: 'it crashes', labels: LABELS, promptStyle: 'direct' }, signal);
const never = new AbortController().signal;

function makePool(config: PoolConfigInput, clock = { now: 0 }): Pool {
  const pool = new Pool(createBackend, new Logger('error'), undefined, undefined, undefined, () => clock.now);
  pool.apply(PoolConfig.parse(config), '/tmp/config.json');
  return pool;
}

async function rejectsWith(p: Promise<unknown>, kind: string, message?: RegExp): Promise<EnsembleError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EnsembleError, String(e));
    assert.equal(e.kind, kind, e.message);
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected ${kind}`);
}

describe('pool health and load', () => {
  const servers: FakeOpenAiServer[] = [];
  const pools: Pool[] = [];
  after(async () => {
    await Promise.all(pools.map((p) => p.dispose()));
    await Promise.all(servers.map((s) => s.close()));
  });

  it('circuit breaker: opens after 3 failed health checks (then fails fast, no request), a failed half-open probe reopens it, recovery closes it', async () => {
    const server = await startOpenAiServer({ models: ['m'] });
    servers.push(server);
    server.script({ content: 'bug' });
    server.scriptModels({ error: 500 }, { error: 500 }, { error: 500 }, { error: 500 }, { error: 500 });
    const clock = { now: 0 };
    const pool = makePool(
      {
        models: [{ id: 'flaky', backend: 'openai', baseUrl: server.baseUrl, model: 'm', scoring: 'none' }],
        daemon: { breakerCoolDownMs: 10_000 },
      },
      clock,
    );
    pools.push(pool);
    const health = () => server.requests.filter((r) => r.path === '/v1/models').length;
    const state = () => pool.status(() => 1)[0]!;

    for (let i = 1; i <= 2; i++) {
      await rejectsWith(pool.ready('flaky', never), 'ModelUnavailable', /500/);
      assert.equal(state().state, 'unavailable');
      assert.equal(state().breaker?.state, 'closed');
    }
    await rejectsWith(pool.ready('flaky', never), 'ModelUnavailable');
    assert.equal(state().state, 'coolingDown');
    assert.equal(state().breaker?.state, 'open');
    const asked = health();
    const fast = await rejectsWith(pool.ready('flaky', never), 'ModelUnavailable', /cooling down after 3 failures.*next try in 10 s/);
    assert.equal((fast.data as { retryAfterMs: number }).retryAfterMs, 10_000);
    assert.equal(health(), asked, 'an open breaker sends nothing to the server');

    clock.now = 10_000; // half-open: one probe, which fails again
    await rejectsWith(pool.ready('flaky', never), 'ModelUnavailable');
    assert.equal(health(), asked + 1);
    assert.equal(state().breaker?.state, 'open');
    assert.equal(state().breaker?.retryInMs, 20_000, 'the cool-down doubled');

    server.scriptModels(); // the server recovers
    clock.now = 30_000;
    const model = await pool.ready('flaky', never);
    assert.equal(state().state, 'ready');
    assert.equal(state().breaker?.state, 'closed');
    const vote = await pool.call(model, never, (b) => classify(b, never));
    assert.equal(vote.label, 'bug');
    assert.equal(state().latencyMs?.samples, 1);
  });

  it('a server that accepts connections but never answers its health check is unavailable, not loading forever', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s)); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const pool = makePool({
      models: [{ id: 'mute', backend: 'openai', baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm' }],
      daemon: { healthTimeoutMs: 300 },
    });
    pools.push(pool);
    try {
      await rejectsWith(pool.ready('mute', never), 'ModelUnavailable', /no answer to its health check within 300 ms/);
      assert.equal(pool.status(() => 1)[0]!.state, 'unavailable');
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it('queue overflow: past maxQueue a request gets BackendBusy at once with a retry hint; the queue stays bounded; a fast member is not starved', async () => {
    const slow = await startOpenAiServer({ models: ['m'] });
    const fast = await startOpenAiServer({ models: ['m'] });
    servers.push(slow, fast);
    slow.script({ hang: true });
    fast.script({ content: 'feature' });
    const pool = makePool({
      models: [
        { id: 'slow', backend: 'openai', baseUrl: slow.baseUrl, model: 'm', scoring: 'none', maxConcurrency: 1, maxQueue: 2 },
        { id: 'fast', backend: 'openai', baseUrl: fast.baseUrl, model: 'm', scoring: 'none', maxConcurrency: 1, maxQueue: 2 },
      ],
    });
    pools.push(pool);
    const stop = new AbortController();
    const slowModel = await pool.ready('slow', never);
    const hung = [0, 1, 2].map(() => pool.call(slowModel, stop.signal, (b) => classify(b, stop.signal)).catch((e: unknown) => e));
    await new Promise((r) => setImmediate(r));
    const refused = await Promise.allSettled(Array.from({ length: 1_000 }, () => pool.call(slowModel, never, (b) => classify(b, never))));
    assert.ok(refused.every((r) => r.status === 'rejected' && r.reason instanceof EnsembleError && r.reason.kind === 'BackendBusy'));
    const busy = (refused[0] as PromiseRejectedResult).reason as EnsembleError;
    assert.match(busy.message, /"slow" is busy: 1 running, 2 waiting \(maxQueue 2\)/);
    assert.ok((busy.data as { retryAfterMs: number }).retryAfterMs > 0);
    const s = pool.status(() => 1).find((m) => m.id === 'slow')!;
    assert.deepEqual(s.load, { inFlight: 1, queued: 2, maxConcurrency: 1, maxQueue: 2 });
    assert.equal(s.state, 'busy');
    assert.equal(s.breaker?.failures, 0, 'our own refusals do not count against the member');

    const fastModel = await pool.ready('fast', never);
    for (let i = 0; i < 5; i++) assert.equal((await pool.call(fastModel, never, (b) => classify(b, never))).label, 'feature');

    stop.abort();
    const ended = await Promise.all(hung);
    assert.ok(ended.every((e) => e instanceof EnsembleError && e.kind === 'RequestCancelled'));
    assert.deepEqual(pool.status(() => 1).find((m) => m.id === 'slow')!.load, { inFlight: 0, queued: 0, maxConcurrency: 1, maxQueue: 2 });
  });
});

/**
 * The member timeout and loads (real Pool and callMember, fake backends whose load takes a known
 * time): loading an in-process model does not count against the member timeout, a server's health
 * check does, and a request that gives up on a shared load does not fail the others waiting on it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend } from '../../daemon/backends/backend';
import { callMember } from '../../daemon/ensemble/callMember';
import { Logger } from '../../daemon/log';
import { Pool } from '../../daemon/pool/pool';
import { PoolConfig, type ModelEntry } from '../../protocol/config';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function slowLoading(entry: ModelEntry, loadMs: number, loads: { n: number }): Backend {
  let loaded: Promise<void> | undefined;
  return {
    id: entry.id,
    kind: entry.backend,
    location: 'test',
    traits: { local: entry.backend === 'llama.cpp', defaultConcurrency: 1 },
    async health() {
      loaded ??= (loads.n++, sleep(loadMs));
      await loaded;
      return { ok: true };
    },
    async classify() {
      return { label: 'bug', probabilities: { bug: 1 }, confidence: 1, confidenceSource: 'logprobs' };
    },
    async generate() {
      return { text: '' };
    },
    async dispose() {},
  };
}

function pool(backend: 'llama.cpp' | 'openai', loadMs: number, loads = { n: 0 }): Pool {
  const p = new Pool((e) => slowLoading(e, loadMs, loads), new Logger('error', () => {}), undefined, undefined, {
    totalRamBytes: () => 2 ** 34,
    freeRamBytes: () => 2 ** 34,
    gpu: async () => ({ freeBytes: 0, unified: false }),
  });
  const entry =
    backend === 'llama.cpp'
      ? { id: 'm', backend, path: '/nonexistent.gguf' }
      : { id: 'm', backend, baseUrl: 'http://127.0.0.1:9/v1', model: 'x' };
  p.apply(PoolConfig.parse({ models: [entry] }), '/tmp/config.json');
  return p;
}

const classify = (b: Backend, s: AbortSignal) => b.classify({ text: 't', labels: ['bug', 'x'], promptStyle: 'direct' }, s);

describe('member timeout and loads', () => {
  it('an in-process model that takes 400 ms to load answers within a 100 ms member timeout', async () => {
    const p = pool('llama.cpp', 400);
    const r = await callMember(p, 'm', new AbortController().signal, 100, classify);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.ok(r.latencyMs >= 350, 'the latency reported includes the load');
    await p.dispose();
  });

  it('the request deadline still bounds the load', async () => {
    const p = pool('llama.cpp', 400);
    const r = await callMember(p, 'm', AbortSignal.timeout(100), 10_000, classify);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.status, 'timeout');
    assert.match(!r.ok ? r.error.message : '', /deadline/);
    await p.dispose();
  });

  it('a server whose health check outlasts the member timeout is a timeout', async () => {
    const p = pool('openai', 400);
    const r = await callMember(p, 'm', new AbortController().signal, 100, classify);
    assert.equal(!r.ok && r.status, 'timeout');
    assert.match(!r.ok ? r.error.message : '', /no answer within 100 ms/);
    await p.dispose();
  });

  it('requests that give up on a shared load do not fail the ones still waiting; the model loads once', async () => {
    const loads = { n: 0 };
    const p = pool('llama.cpp', 300, loads);
    const cancelled = new AbortController();
    const waits = [
      callMember(p, 'm', cancelled.signal, 10_000, classify),
      callMember(p, 'm', AbortSignal.timeout(50), 10_000, classify),
      callMember(p, 'm', new AbortController().signal, 10_000, classify),
    ];
    cancelled.abort();
    const [a, b, c] = await Promise.all(waits);
    assert.equal(a!.ok, false);
    assert.equal(b!.ok, false);
    assert.equal(c!.ok, true, JSON.stringify(c));
    assert.equal(loads.n, 1);
    await p.dispose();
  });
});

describe('Pool.memberTimeoutMs', () => {
  it("the model's own timeout tightens the ensemble's; the adaptive policy only ever shortens it", async () => {
    const p = new Pool((e) => slowLoading(e, 0, { n: 0 }), new Logger('error', () => {}));
    p.apply(
      PoolConfig.parse({ models: [{ id: 'm', backend: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'x', timeoutMs: 5_000 }] }),
      '/tmp/config.json',
    );
    assert.deepEqual(
      [p.memberTimeoutMs('m', 30_000), p.memberTimeoutMs('m', 2_000), p.memberTimeoutMs('gone', 30_000)],
      [5_000, 2_000, 30_000],
    );
    const rows: Array<[string, number, number]> = [
      ['shorter', 800, 800],
      ['longer than configured', 99_000, 5_000],
      ['not a number', NaN, 5_000],
      ['zero', 0, 5_000],
    ];
    for (const [name, adapted, expected] of rows) {
      p.setTimeoutPolicy(() => adapted);
      assert.equal(p.memberTimeoutMs('m', 30_000), expected, name);
    }
    p.setTimeoutPolicy(undefined);
    assert.equal(p.memberTimeoutMs('m', 30_000), 5_000, 'off again');
    await p.dispose();
  });
});

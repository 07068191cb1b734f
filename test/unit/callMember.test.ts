/**
 * The member timeout and loads (real Pool and callMember, fake backends whose load the test
 * finishes by hand): loading an in-process model does not count against the member timeout, a server's health
 * check does, and a request that gives up on a shared load does not fail the others waiting on it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend } from '../../daemon/backends/backend';
import { callMember } from '../../daemon/ensemble/callMember';
import type { MemberCaller } from '../../daemon/ensemble/memberCaller';
import { Logger } from '../../daemon/process/log';
import { Pool } from '../../daemon/pool/pool';
import { PoolConfig, type ModelEntry } from '../../protocol/config';

/**
 * A load the test finishes by hand, so no test depends on how long anything takes: `started`
 * settles once the pool has begun loading, and nothing is ready until `finish()`.
 */
function manualLoad() {
  let begin!: () => void;
  let finish!: () => void;
  const started = new Promise<void>((r) => (begin = r));
  const finished = new Promise<void>((r) => (finish = r));
  return { started, finished, begin, finish, count: 0 };
}
type ManualLoad = ReturnType<typeof manualLoad>;

function loadingBackend(entry: ModelEntry, load: ManualLoad): Backend {
  let loaded: Promise<void> | undefined;
  return {
    id: entry.id,
    kind: entry.backend,
    location: 'test',
    traits: { local: entry.backend === 'llama.cpp', defaultConcurrency: 1 },
    async health() {
      loaded ??= (load.count++, load.begin(), load.finished);
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

function pool(backend: 'llama.cpp' | 'openai', load: ManualLoad): Pool {
  const p = new Pool((e) => loadingBackend(e, load), new Logger('error', () => {}), undefined, undefined, {
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

// The member timeout is a real timer: these tests run on mock timers and move the clock by hand
// (tick), past the timeout while the load is still going, instead of waiting for it.
describe('member timeout and loads', () => {
  it('an in-process model still loading when its member timeout has passed answers: the load does not count', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const load = manualLoad();
    const p = pool('llama.cpp', load);
    const call = callMember(p, 'm', new AbortController().signal, 100, classify);
    await load.started;
    t.mock.timers.tick(1_000);
    load.finish();
    const r = await call;
    assert.equal(r.ok, true, JSON.stringify(r));
    t.mock.timers.reset();
    await p.dispose();
  });

  it('the request deadline still bounds the load', async () => {
    const load = manualLoad();
    const p = pool('llama.cpp', load);
    const deadline = new AbortController();
    const call = callMember(p, 'm', deadline.signal, 10_000, classify);
    await load.started;
    deadline.abort();
    const r = await call;
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.status, 'timeout');
    assert.match(!r.ok ? r.error.message : '', /deadline/);
    load.finish();
    await p.dispose();
  });

  it('a server whose health check outlasts the member timeout is a timeout', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const load = manualLoad();
    const p = pool('openai', load);
    const call = callMember(p, 'm', new AbortController().signal, 100, classify);
    await load.started;
    t.mock.timers.tick(100);
    const r = await call;
    assert.equal(!r.ok && r.status, 'timeout');
    assert.match(!r.ok ? r.error.message : '', /no answer within 100 ms/);
    load.finish();
    t.mock.timers.reset();
    await p.dispose();
  });

  it('requests that give up on a shared load do not fail the ones still waiting; the model loads once', async () => {
    const load = manualLoad();
    const p = pool('llama.cpp', load);
    const cancelled = new AbortController();
    const deadline = new AbortController();
    const waits = [
      callMember(p, 'm', cancelled.signal, 10_000, classify),
      callMember(p, 'm', deadline.signal, 10_000, classify),
      callMember(p, 'm', new AbortController().signal, 10_000, classify),
    ];
    await load.started;
    cancelled.abort();
    deadline.abort();
    const [a, b] = await Promise.all(waits.slice(0, 2));
    assert.equal(a!.ok, false);
    assert.equal(b!.ok, false);
    load.finish();
    const c = await waits[2]!;
    assert.equal(c.ok, true, JSON.stringify(c));
    assert.equal(load.count, 1);
    await p.dispose();
  });
});

describe('Pool.memberTimeoutMs', () => {
  it("the model's own timeout tightens the ensemble's; the adaptive policy only ever shortens it", async () => {
    const p = new Pool((e) => loadingBackend(e, manualLoad()), new Logger('error', () => {}));
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

describe('callMember: the race against the signal', () => {
  /** A member caller whose model is ready at once and whose call is the test's. */
  function caller(call: MemberCaller<string>['call'], settlesOnAbort?: boolean): MemberCaller<string> {
    return {
      memberTimeoutMs: (_model, ensembleTimeoutMs) => ensembleTimeoutMs,
      isLocal: () => false,
      ready: async () => 'ready',
      call,
      ...(settlesOnAbort === undefined ? {} : { settlesOnAbort: () => settlesOnAbort }),
    };
  }

  it('a call that ignores its signal still ends at the member timeout: it is raced', async () => {
    const ignoresSignal = () => new Promise<never>(() => {});
    const r = await callMember(caller(ignoresSignal), 'm', new AbortController().signal, 1, async () => 'never');
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.status, 'timeout');
  });

  it('a backend that settles on abort is not raced, and its timeout is reported the same way', async () => {
    const honoursSignal: MemberCaller<string>['call'] = (_ready, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('aborted by its signal')), { once: true });
      });
    const r = await callMember(caller(honoursSignal, true), 'm', new AbortController().signal, 1, async () => 'never');
    assert.equal(!r.ok && r.status, 'timeout');
    assert.equal(!r.ok && r.error.kind, 'Timeout');
  });

  it('an answer from a backend that settles on abort is the value', async () => {
    const answers: MemberCaller<string>['call'] = async (_ready, _signal, task) => task({} as Backend);
    const r = await callMember(caller(answers, true), 'm', new AbortController().signal, 60_000, async () => 'bug');
    assert.deepEqual(r.ok && r.value, 'bug');
  });
});

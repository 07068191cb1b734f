/**
 * The pool's one latency window per member (real Pool, fake backends): answered calls and calls cut
 * off by a timeout are recorded, failures and the caller's own cancel are not; the window's size is
 * `daemon.laggards.window`; status percentiles and the laggard detector read the same samples.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend } from '../../daemon/backends/backend';
import { Logger } from '../../daemon/process/log';
import { detectLaggards } from '../../daemon/pool/laggards';
import { Pool } from '../../daemon/pool/pool';
import { PoolConfig } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';

type Behaviour = 'ok' | 'fail' | 'hang';

function backendFor(id: string, next: () => Behaviour): Backend {
  return {
    id,
    kind: 'openai',
    location: 'test',
    traits: { local: false, defaultConcurrency: 4 },
    health: async () => ({ ok: true }),
    classify: (_req, signal) =>
      new Promise((resolve, reject) => {
        const how = next();
        if (how === 'ok') return resolve({ label: 'a', probabilities: { a: 1 }, confidence: 1, confidenceSource: 'logprobs' });
        if (how === 'fail') return reject(new EnsembleError('BackendError', 'broken'));
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      }),
    generate: async () => ({ text: '' }),
    dispose: async () => undefined,
  };
}

const config = (window?: number) =>
  PoolConfig.parse({
    models: ['m', 'n'].map((id) => ({ id, backend: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: id })),
    ...(window ? { daemon: { laggards: { window } } } : {}),
  });

describe('Pool: one latency window per member', () => {
  it('records answers and timeouts, not failures or cancels; status and laggards read the same window', async () => {
    const plan: Behaviour[] = [];
    const pool = new Pool(((e: { id: string }) => backendFor(e.id, () => plan.shift() ?? 'ok')) as never, new Logger('error', () => {}));
    pool.apply(config(), '/tmp/config.json');
    const ask = async (id: string, signal: AbortSignal) => {
      const model = await pool.ready(id, new AbortController().signal);
      return pool.call(model, signal, (b) => b.classify({ text: 't', labels: ['a', 'b'], promptStyle: 'direct' }, signal));
    };
    const free = new AbortController().signal;

    plan.push('ok', 'ok');
    await ask('m', free);
    await ask('m', free);
    plan.push('fail');
    await assert.rejects(ask('m', free), /broken/);
    assert.equal(pool.latencySamples('m').length, 2, 'a failure is not a latency');

    plan.push('hang');
    const cancel = new AbortController();
    const cancelled = ask('m', cancel.signal);
    cancel.abort(new EnsembleError('RequestCancelled', 'client cancelled'));
    await assert.rejects(cancelled, /client cancelled/);
    assert.equal(pool.latencySamples('m').length, 2, "the caller's cancel is not a latency");

    plan.push('hang');
    const timeout = new AbortController();
    const timedOut = ask('m', timeout.signal);
    timeout.abort(new EnsembleError('Timeout', 'no answer within 5 ms'));
    await assert.rejects(timedOut, /no answer/);
    assert.equal(pool.latencySamples('m').length, 3, 'a timeout is slowness: recorded');

    const status = pool.status(() => 1).find((s) => s.id === 'm')!;
    assert.equal(status.latencyMs?.samples, 3);
    assert.deepEqual(pool.latencies().get('m'), pool.latencySamples('m'));
    assert.deepEqual(pool.latencySamples('n'), []);
    assert.deepEqual([...detectLaggards(pool.latencies()).keys()], [], 'too few samples to judge');
    await pool.dispose();
  });

  it('the window holds `daemon.laggards.window` samples, resized on reload', async () => {
    const pool = new Pool(((e: { id: string }) => backendFor(e.id, () => 'ok')) as never, new Logger('error', () => {}));
    pool.apply(config(7), '/tmp/config.json');
    const model = await pool.ready('m', new AbortController().signal);
    const free = new AbortController().signal;
    for (let i = 0; i < 9; i++)
      await pool.call(model, free, (b) => b.classify({ text: 't', labels: ['a', 'b'], promptStyle: 'direct' }, free));
    assert.equal(pool.latencySamples('m').length, 7);
    pool.apply(config(5), '/tmp/config.json');
    assert.equal(pool.latencySamples('m').length, 5, 'the same member keeps its newest samples');
    assert.equal(pool.status(() => 1).find((s) => s.id === 'm')?.latencyMs?.samples, 5);
    await pool.dispose();
  });
});

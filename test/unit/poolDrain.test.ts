/**
 * Pool.apply while calls run (real Pool, fake backends whose calls end when the test says): a
 * replaced model's calls finish on its old backend, which is disposed only after the last one; new
 * calls go to the new backend; a model still draining when the pool stops is disposed with it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend } from '../../daemon/backends/backend';
import { Logger } from '../../daemon/process/log';
import { Pool } from '../../daemon/pool/pool';
import { PoolConfig } from '../../protocol/config';

interface Fake {
  backend: Backend;
  model: string;
  disposed: boolean;
  /** Calls that reached this backend. */
  calls: number;
  /** Ends the calls waiting on this backend, and lets later ones through. */
  release(): void;
}

function fakes(): { made: Fake[]; factory: (e: { id: string; backend: string }) => Backend } {
  const made: Fake[] = [];
  const factory = (entry: { id: string; backend: string } & Record<string, unknown>): Backend => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => (open = r));
    const fake: Fake = {
      model: String(entry.model),
      disposed: false,
      calls: 0,
      release: () => open(),
      backend: {
        id: entry.id,
        kind: 'openai',
        location: 'test',
        traits: { local: false, defaultConcurrency: 4 },
        health: async () => ({ ok: true }),
        classify: async () => {
          fake.calls++;
          await gate;
          if (fake.disposed) throw new Error('called after dispose');
          return { label: fake.model, probabilities: { [fake.model]: 1 }, confidence: 1, confidenceSource: 'logprobs' };
        },
        generate: async () => ({ text: '' }),
        dispose: async () => {
          fake.disposed = true;
        },
      },
    };
    made.push(fake);
    return fake.backend;
  };
  return { made, factory: factory as (e: { id: string; backend: string }) => Backend };
}

const config = (model: string) => PoolConfig.parse({ models: [{ id: 'm', backend: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model }] });
const tick = () => new Promise((r) => setImmediate(r));
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 1000) throw new Error('timed out waiting');
    await tick();
  }
}
const signal = new AbortController().signal;
const ask = (pool: Pool) =>
  pool
    .ready('m', signal)
    .then((model) => pool.call(model, signal, (b) => b.classify({ text: 't', labels: ['old', 'new'], promptStyle: 'direct' }, signal)));

describe('Pool: a model replaced while calls run', () => {
  it('finishes the calls on the old backend, disposes it after the last, and sends new calls to the new one', async () => {
    const { made, factory } = fakes();
    const pool = new Pool(factory as never, new Logger('error', () => {}));
    pool.apply(config('old'), '/tmp/config.json');
    const running = [ask(pool), ask(pool)];
    await until(() => made[0]!.calls === 2);
    pool.apply(config('new'), '/tmp/config.json');
    await tick();
    const [old, fresh] = made;
    assert.equal(old!.disposed, false, 'not disposed while its calls run');
    const later = ask(pool);
    fresh!.release();
    assert.equal((await later).label, 'new');
    old!.release();
    assert.deepEqual(
      (await Promise.all(running)).map((r) => r.label),
      ['old', 'old'],
    );
    await tick();
    assert.equal(old!.disposed, true, 'disposed after its last call');
    await pool.dispose();
  });

  it('a model still draining when the pool stops is disposed with it', async () => {
    const { made, factory } = fakes();
    const pool = new Pool(factory as never, new Logger('error', () => {}));
    pool.apply(config('old'), '/tmp/config.json');
    const running = ask(pool).catch((e: Error) => e);
    await until(() => made[0]!.calls === 1);
    pool.apply(config('new'), '/tmp/config.json');
    await pool.dispose();
    assert.deepEqual(
      made.map((f) => f.disposed),
      [true, true],
    );
    made[0]!.release();
    assert.match(String(await running), /called after dispose/);
  });
});

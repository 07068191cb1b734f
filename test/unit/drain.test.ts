/** daemon/pool/drain.ts: in-flight counting and drain-then-dispose, with a manual timer (no clock). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drainThenDispose, InFlight, type Timer } from '../../daemon/pool/drain';

/** A timer the test fires by hand. */
function manualTimer(): { timer: Timer; fire(): void; pending(): number } {
  const timers = new Set<() => void>();
  return {
    timer: (fn) => {
      timers.add(fn);
      return { cancel: () => timers.delete(fn) };
    },
    fire: () => {
      const all = [...timers];
      timers.clear();
      for (const f of all) f();
    },
    pending: () => timers.size,
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('InFlight', () => {
  it('counts calls per key; ending a call twice ends it once', () => {
    const f = new InFlight<string>();
    const a1 = f.begin('a');
    const a2 = f.begin('a');
    f.begin('b');
    assert.deepEqual([f.count('a'), f.count('b'), f.count('c')], [2, 1, 0]);
    a1();
    a1();
    assert.equal(f.count('a'), 1);
    a2();
    assert.equal(f.count('a'), 0);
  });
});

describe('drainThenDispose', () => {
  interface Row {
    name: string;
    calls: number;
    endBeforeBound: number;
    expect: { outcome: 'drained' | 'timeout'; abandoned: number };
  }
  const rows: Row[] = [
    { name: 'nothing in flight: disposed at once', calls: 0, endBeforeBound: 0, expect: { outcome: 'drained', abandoned: 0 } },
    {
      name: 'two calls in flight: disposed after the last one ends',
      calls: 2,
      endBeforeBound: 2,
      expect: { outcome: 'drained', abandoned: 0 },
    },
    {
      name: 'a hung call: disposed when the bound runs out, the call counted as abandoned',
      calls: 3,
      endBeforeBound: 2,
      expect: { outcome: 'timeout', abandoned: 1 },
    },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const f = new InFlight<string>();
      const t = manualTimer();
      const ends = Array.from({ length: row.calls }, () => f.begin('old'));
      const other = f.begin('new'); // the replacement's calls are not waited for
      let disposed = 0;
      const result = drainThenDispose(f, 'old', async () => void disposed++, 30_000, t.timer);
      await tick();
      if (row.calls > 0) assert.equal(disposed, 0, 'not disposed while calls run');
      for (const end of ends.slice(0, row.endBeforeBound)) {
        end();
        await tick();
      }
      if (row.expect.outcome === 'timeout') {
        assert.equal(disposed, 0);
        t.fire();
      }
      assert.deepEqual(await result, row.expect);
      assert.equal(disposed, 1);
      assert.equal(t.pending(), 0, 'no timer left behind');
      assert.equal(f.count('new'), 1);
      other();
    });
  }

  it('a call that begins as the drain resolves is waited for too, and dispose runs in the turn of the last check', async () => {
    const f = new InFlight<string>();
    const t = manualTimer();
    let disposedWith = -1;
    const result = drainThenDispose(f, 'old', async () => void (disposedWith = f.count('old')), 100, t.timer);
    // Nothing was in flight, so the drain resolved at once; a caller that had picked 'old' begins now.
    const late = f.begin('old');
    await tick();
    assert.equal(disposedWith, -1, 'not disposed under the late call');
    late();
    assert.deepEqual(await result, { outcome: 'drained', abandoned: 0 });
    assert.equal(disposedWith, 0);
  });

  it('a dispose that throws is reported, not thrown', async () => {
    const f = new InFlight<string>();
    const errors: unknown[] = [];
    const r = await drainThenDispose(
      f,
      'x',
      () => Promise.reject(new Error('boom')),
      10,
      manualTimer().timer,
      (e) => errors.push(e),
    );
    assert.deepEqual(r, { outcome: 'drained', abandoned: 0 });
    assert.equal((errors[0] as Error).message, 'boom');
  });

  it('two drains of one key both resolve when it drains', async () => {
    const f = new InFlight<string>();
    const t = manualTimer();
    const end = f.begin('k');
    const a = f.drained('k', 100, t.timer);
    const b = f.drained('k', 100, t.timer);
    end();
    assert.deepEqual(await Promise.all([a, b]), ['drained', 'drained']);
    assert.equal(t.pending(), 0);
  });
});

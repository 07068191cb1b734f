/**
 * common/abort.ts and common/linkedAbort.ts: waiting on a signal (one event listener however many
 * wait), signals linked to a parent and a timeout, and racing a task that ignores its signal.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { raceAbort, whenAborted } from '../../common/abort';
import { linkedAbort } from '../../common/linkedAbort';
import { EnsembleError } from '../../protocol/errors';

/** A signal that counts the listeners added to it and still present. */
function countedSignal() {
  const controller = new AbortController();
  const { signal } = controller;
  const counts = { added: 0, removed: 0 };
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    counts.added++;
    add(...args);
  }) as typeof add;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    counts.removed++;
    remove(...args);
  }) as typeof remove;
  return { controller, signal, counts };
}

describe('whenAborted', () => {
  it('many waiters, one event listener; each is called once, in order, and a stopped one not at all', () => {
    const { controller, signal, counts } = countedSignal();
    const calls: number[] = [];
    const stops = [1, 2, 3, 4].map((i) => whenAborted(signal, () => calls.push(i)));
    stops[1]!();
    stops[1]!(); // a second stop is harmless
    assert.equal(counts.added, 1);
    controller.abort();
    controller.abort();
    assert.deepEqual(calls, [1, 3, 4]);
  });

  it('waiters of different signals do not meet', () => {
    const a = new AbortController();
    const b = new AbortController();
    const calls: string[] = [];
    whenAborted(a.signal, () => calls.push('a'));
    whenAborted(b.signal, () => calls.push('b'));
    b.abort();
    assert.deepEqual(calls, ['b']);
  });
});

describe('linkedAbort', () => {
  it("fires with the parent's reason; a thousand children of one parent add one listener to it", () => {
    const { controller, signal, counts } = countedSignal();
    const children = Array.from({ length: 1000 }, () => linkedAbort(signal, 60_000, () => new Error('timeout')));
    assert.equal(counts.added, 1);
    controller.abort(new EnsembleError('RequestCancelled', 'the client cancelled'));
    for (const c of children) {
      assert.equal(c.signal.aborted, true);
      assert.equal((c.signal.reason as EnsembleError).kind, 'RequestCancelled');
      assert.equal(c.timedOut(), false);
      c.dispose();
    }
  });

  it('fires at its timeout with the timeout reason, and says so; the parent is not touched', async () => {
    const parent = new AbortController();
    const child = linkedAbort(parent.signal, 0, () => new EnsembleError('Timeout', 'no answer within 0 ms'));
    await once(child.signal, 'abort');
    assert.equal(child.timedOut(), true);
    assert.equal((child.signal.reason as EnsembleError).kind, 'Timeout');
    assert.equal(parent.signal.aborted, false);
    child.dispose();
  });

  it('after dispose, neither the parent nor the timer fires it', () => {
    const parent = new AbortController();
    const child = linkedAbort(parent.signal, 60_000, () => new Error('timeout'));
    child.dispose();
    parent.abort();
    assert.equal(child.signal.aborted, false);
  });

  it('a parent already aborted: the child is born aborted, with its reason', () => {
    const parent = new AbortController();
    parent.abort(new EnsembleError('Timeout', 'deadline'));
    const child = linkedAbort(parent.signal, 60_000, () => new Error('timeout'));
    assert.equal(child.signal.aborted, true);
    assert.equal((child.signal.reason as EnsembleError).message, 'deadline');
    child.dispose();
  });
});

describe('raceAbort', () => {
  it('settles with the abort as soon as the signal fires, though the task never does', async () => {
    const controller = new AbortController();
    const raced = raceAbort(controller.signal, () => new Promise<never>(() => {}));
    controller.abort(new EnsembleError('Timeout', 'no answer within 5 ms'));
    await assert.rejects(raced, (e: EnsembleError) => e.kind === 'Timeout');
  });

  it("settles with the task's own outcome, and stops waiting on the signal", async () => {
    const { controller, signal } = countedSignal();
    assert.equal(await raceAbort(signal, async () => 7), 7);
    await assert.rejects(
      raceAbort(signal, async () => {
        throw new Error('member failed');
      }),
      /member failed/,
    );
    controller.abort(); // nothing waits any more: no late rejection
  });

  it('a signal already aborted rejects without running the task', async () => {
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    await assert.rejects(
      raceAbort(controller.signal, async () => {
        ran = true;
      }),
      (e: EnsembleError) => e.kind === 'RequestCancelled',
    );
    assert.equal(ran, false);
  });
});

/**
 * common/abort.ts and common/linkedAbort.ts: waiting on a signal (one event listener however many
 * wait), signals linked to a parent and a timeout, and racing a task that ignores its signal.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { raceAbort, whenAborted } from '../../common/abort';
import { linkedAbort, sharedLinkedAbort } from '../../common/linkedAbort';
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

describe('sharedLinkedAbort', () => {
  const reason = () => new EnsembleError('Timeout', 'no answer within 30000 ms');

  it('calls under one parent with one timeout, started within a millisecond, share one signal; others do not', () => {
    const parent = new AbortController();
    let clock = 100;
    const now = () => clock;
    const a = sharedLinkedAbort(parent.signal, 30_000, reason, now);
    clock += 0.5;
    const b = sharedLinkedAbort(parent.signal, 30_000, reason, now);
    const otherLimit = sharedLinkedAbort(parent.signal, 10_000, reason, now);
    clock += 1;
    const later = sharedLinkedAbort(parent.signal, 30_000, reason, now);
    const otherParent = sharedLinkedAbort(new AbortController().signal, 30_000, reason, now);
    assert.equal(a.signal, b.signal);
    for (const x of [otherLimit, later, otherParent]) assert.notEqual(x.signal, a.signal);
    for (const x of [a, b, otherLimit, later, otherParent]) x.dispose();
  });

  it('one timeout ends every call sharing it, and each says it timed out', async () => {
    const parent = new AbortController();
    const a = sharedLinkedAbort(parent.signal, 0, reason);
    const b = sharedLinkedAbort(parent.signal, 0, reason);
    await once(a.signal, 'abort');
    assert.equal(b.signal.aborted, true);
    assert.ok(a.timedOut() && b.timedOut());
    assert.equal((b.signal.reason as EnsembleError).kind, 'Timeout');
    a.dispose();
    b.dispose();
  });

  it("one caller's dispose leaves the others linked; after the last, the parent no longer reaches it", () => {
    const parent = new AbortController();
    const a = sharedLinkedAbort(parent.signal, 60_000, reason, () => 0);
    const b = sharedLinkedAbort(parent.signal, 60_000, reason, () => 0);
    a.dispose();
    a.dispose(); // twice: still one share released
    const c = sharedLinkedAbort(parent.signal, 60_000, reason, () => 0);
    assert.equal(c.signal, b.signal, 'a share is still held: joined');
    b.dispose();
    c.dispose();
    const released = c.signal;
    parent.abort();
    assert.equal(released.aborted, false, 'released with its last share');
    const d = sharedLinkedAbort(parent.signal, 60_000, reason, () => 0);
    assert.equal(d.signal.aborted, true, 'a call starting after the parent fired starts aborted');
    d.dispose();
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

/**
 * common/freshAbort.ts: controllers made ahead of need are each handed out once, never aborted,
 * independent of one another, ready for `whenAborted`, and made again after the callback that took them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextCheckPhase } from 'node:timers/promises';
import { whenAborted } from '../../common/abort';
import { freshAbortController } from '../../common/freshAbort';
import { linkedAbort } from '../../common/linkedAbort';

describe('freshAbortController', () => {
  it('hands out each controller once, unaborted, with a signal of its own', () => {
    const taken = Array.from({ length: 50 }, () => freshAbortController());
    assert.equal(new Set(taken).size, 50);
    assert.equal(new Set(taken.map((c) => c.signal)).size, 50);
    assert.ok(taken.every((c) => !c.signal.aborted));
    taken[7]!.abort('why');
    assert.equal(taken[7]!.signal.reason, 'why');
    assert.deepEqual(taken.map((c) => c.signal.aborted).filter(Boolean), [true], 'aborting one leaves the others alone');
  });

  it('a waiter on a handed-out signal is told of its abort once, and a stopped one not at all', () => {
    const controller = freshAbortController();
    const calls: string[] = [];
    whenAborted(controller.signal, () => calls.push('a'));
    const stop = whenAborted(controller.signal, () => calls.push('b'));
    stop();
    controller.abort();
    controller.abort();
    assert.deepEqual(calls, ['a']);
  });

  it('spare ones are made after the callback that took them, not before', async () => {
    const made: AbortController[] = [];
    const Original = globalThis.AbortController;
    // Counts the controllers made, to tell those handed out from spares from those made on demand.
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        made.push(this);
      }
    };
    try {
      await nextCheckPhase(); // any refill queued by an earlier test is done
      const start = made.length;
      // Take until one has to be made on the spot: the spares are used up.
      for (let i = 0; i < 1_000 && made.length === start; i++) freshAbortController();
      assert.equal(made.length, start + 1, 'one made on the spot once the spares ran out');
      const onTheSpot = made.length;
      await nextCheckPhase();
      const spares = made.slice(onTheSpot);
      assert.ok(spares.length >= 3, `spares made after this callback (${spares.length})`);
      const next = Array.from({ length: 3 }, () => freshAbortController());
      assert.equal(made.length, onTheSpot + spares.length, 'the next request takes spares: none made while it waits');
      assert.ok(next.every((c) => spares.includes(c)));
    } finally {
      globalThis.AbortController = Original;
    }
  });

  it('a linked signal built on one still follows its parent and its timeout', async () => {
    const parent = freshAbortController();
    const link = linkedAbort(parent.signal, 60_000, () => 'late');
    parent.abort('cancelled');
    assert.equal(link.signal.reason, 'cancelled');
    link.dispose();
    const timed = linkedAbort(freshAbortController().signal, 0, () => 'late');
    await new Promise((resolve) => timed.signal.addEventListener('abort', resolve, { once: true }));
    assert.equal(timed.signal.reason, 'late');
    assert.ok(timed.timedOut());
  });
});

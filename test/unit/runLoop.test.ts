/**
 * The one run loop every ensemble task shares (daemon/ensemble/runLoop.ts), with members the test
 * answers itself: batches as the asking rule names them, members never asked (skipped when the rule
 * stopped, timed out when the deadline came first), "no model can serve", and the client's cancel.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolvedMember } from '../../daemon/strategies/members';
import { runMembers, type NotAsked, type RunTask } from '../../daemon/ensemble/runLoop';
import { EnsembleError } from '../../protocol/errors';

interface Outcome {
  member: string;
  status: string;
  error?: { kind: string; message: string };
}

const MEMBERS: ResolvedMember[] = ['a', 'b', 'c'].map((m) => ({ member: m, model: m, promptStyle: 'direct', priorWeight: 1 }));

function task(over: Partial<RunTask<Outcome>> = {}): RunTask<Outcome> & { reported: string[] } {
  const reported: string[] = [];
  return {
    ensemble: 'e',
    members: MEMBERS,
    deadlineMs: 60_000,
    noun: 'test run',
    next: (asked) => (asked.length === 0 ? MEMBERS.map((m) => m.member) : []),
    ask: async (m) => ({ member: m.member, status: 'ok' }),
    onOutcome: (o, done, total) => reported.push(`${o.member} ${done}/${total}`),
    unasked: (m, why: NotAsked) => ({ member: m.member, ...why }),
    reported,
    ...over,
  };
}

describe('the run loop', () => {
  it('asks each batch the rule names, once per member, and reports each outcome', async () => {
    const batches: string[][] = [];
    const t = task({
      // The rule names a member twice and one not in the ensemble: each member is asked once, strangers never.
      next: (asked) => {
        const batch = asked.length === 0 ? ['a', 'a', 'x'] : asked.length === 1 ? ['a', 'b'] : [];
        batches.push(batch);
        return batch;
      },
    });
    const run = await runMembers(t, new AbortController().signal);
    assert.deepEqual(
      run.asked.map((o) => o.member),
      ['a', 'b'],
    );
    assert.equal(run.rounds, 2);
    assert.equal(run.settled, true);
    assert.deepEqual(t.reported, ['a 1/3', 'b 2/3']);
    assert.deepEqual(
      run.outcomes.map((o) => `${o.member} ${o.status}`),
      ['a ok', 'b ok', 'c skipped'],
      'a member the rule never named is skipped',
    );
    assert.equal(batches.length, 3);
  });

  it('leaves members never asked out when the task gives them no outcome', async () => {
    const run = await runMembers(
      task({ next: (asked) => (asked.length === 0 ? ['b'] : []), unasked: undefined }),
      new AbortController().signal,
    );
    assert.deepEqual(
      run.outcomes.map((o) => o.member),
      ['b'],
    );
  });

  it('counts members not asked by the deadline as timed out', async () => {
    const t = task({
      deadlineMs: 1,
      next: (asked) => (asked.length === 0 ? ['a'] : ['b', 'c']),
      // The member answers once the run's signal fires: the deadline, since nobody cancels.
      ask: (m, run) =>
        new Promise((resolve) =>
          run.signal.addEventListener('abort', () => resolve({ member: m.member, status: 'timeout' }), { once: true }),
        ),
    });
    const run = await runMembers(t, new AbortController().signal);
    assert.equal(run.timedOut, true);
    assert.equal(run.settled, false);
    assert.deepEqual(
      run.outcomes.map((o) => `${o.member} ${o.status} ${o.error?.kind ?? '-'}`),
      ['a timeout -', 'b timeout Timeout', 'c timeout Timeout'],
    );
  });

  it("fails with the client's cancel, naming what was cancelled", async () => {
    const cancel = new AbortController();
    const t = task({
      ask: async (m) => {
        cancel.abort();
        return { member: m.member, status: 'ok' };
      },
    });
    await assert.rejects(runMembers(t, cancel.signal), (e: unknown) => {
      assert.ok(e instanceof EnsembleError);
      assert.equal(e.kind, 'RequestCancelled');
      assert.match(e.message, /test run cancelled/);
      return true;
    });
  });

  it('fails as "no model can serve" when no member could be served, unless the task reports failures itself', async () => {
    const unavailable = async (m: ResolvedMember): Promise<Outcome> => ({
      member: m.member,
      status: 'error',
      error: { kind: 'ModelUnavailable', message: `${m.model}: gone` },
    });
    await assert.rejects(
      runMembers(task({ ask: unavailable, noneCanServeData: (o) => ({ n: o.length }) }), new AbortController().signal),
      (e: unknown) => {
        assert.ok(e instanceof EnsembleError);
        assert.equal(e.kind, 'ModelUnavailable');
        assert.deepEqual(e.data, { n: 3 });
        return true;
      },
    );
    const run = await runMembers(task({ ask: unavailable, failWhenNoneCanServe: false }), new AbortController().signal);
    assert.deepEqual(
      run.outcomes.map((o) => o.status),
      ['error', 'error', 'error'],
    );
  });
});

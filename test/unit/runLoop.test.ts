/**
 * The one run loop every ensemble task shares (daemon/ensemble/runLoop.ts), with members the test
 * answers itself: batches as the asking rule names them, members never asked (skipped when the rule
 * stopped, timed out when the deadline came first), "no model can serve", the client's cancel, a
 * batch ended by an outcome or its timeout, and the conclusion after the loop.
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
  it('ends a batch at an outcome the task accepts: the calls still running are aborted and told why', async () => {
    const t = task({
      endsBatch: (o) => o.status === 'ok',
      // 'a' answers at once; the others answer only when their signal fires, saying what the batch says.
      ask: async (m, run) => {
        if (m.member === 'a') return { member: 'a', status: 'ok' };
        await new Promise((resolve) => run.signal.addEventListener('abort', resolve, { once: true }));
        return { member: m.member, status: `cut ${run.batchEnded()} in round ${run.round}` };
      },
    });
    const run = await runMembers(t, new AbortController().signal);
    assert.deepEqual(
      run.outcomes.map((o) => `${o.member} ${o.status}`),
      ['a ok', 'b cut ended in round 1', 'c cut ended in round 1'],
    );
    assert.equal(run.timedOut, false);
  });

  it('ends a batch at its timeout, and asks the next batch under a fresh signal', async () => {
    const signals: boolean[] = [];
    const t = task({
      batchTimeoutMs: 0,
      next: (asked) => (asked.length === 0 ? ['a'] : asked.length === 1 ? ['b'] : []),
      ask: async (m, run) => {
        signals.push(run.signal.aborted);
        await new Promise((resolve) => run.signal.addEventListener('abort', resolve, { once: true }));
        return { member: m.member, status: `${run.batchEnded()} ${run.round}` };
      },
    });
    const run = await runMembers(t, new AbortController().signal);
    assert.deepEqual(signals, [false, false], 'each batch starts with its own signal');
    assert.deepEqual(
      run.asked.map((o) => `${o.member} ${o.status}`),
      ['a timedOut 1', 'b timedOut 2'],
    );
    assert.equal(run.rounds, 2);
  });

  it('says a batch did not end early when the deadline aborted its calls', async () => {
    const t = task({
      deadlineMs: 1,
      endsBatch: () => true,
      ask: async (m, run) => {
        await new Promise((resolve) => run.signal.addEventListener('abort', resolve, { once: true }));
        return { member: m.member, status: `ended ${run.batchEnded()}` };
      },
    });
    const run = await runMembers(t, new AbortController().signal);
    assert.equal(run.timedOut, true);
    assert.deepEqual(
      run.asked.map((o) => o.status),
      ['ended null', 'ended null', 'ended null'],
    );
  });

  it('concludes under the request signal, and a conclusion cut short by the cancel fails as the cancel', async () => {
    const concluded = await runMembers(task(), new AbortController().signal, async (run, signal) => ({
      asked: run.asked.length,
      aborted: signal.aborted,
    }));
    assert.deepEqual(concluded, { asked: 3, aborted: false });
    const cancel = new AbortController();
    const conclusion = runMembers(task(), cancel.signal, async (_run, signal) => {
      cancel.abort();
      assert.equal(signal.aborted, true, 'the conclusion runs under the request signal');
      throw new EnsembleError('BackendError', 'the judge failed');
    });
    await assert.rejects(conclusion, (e: unknown) => {
      assert.ok(e instanceof EnsembleError);
      assert.equal(e.kind, 'RequestCancelled');
      return true;
    });
  });
});

/**
 * The generation strategies' asking rule: compare and fusion ask everyone once; firstSuccess asks
 * k at a time in listed order, stops at the first accepted answer, and picks the one that arrived
 * first in that round; replay gives the same calls, rounds and pick as the rule run step by step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generationPlanFor, replayGeneration, type AskedAnswer } from '../../../daemon/strategies/generationPlan';

type Recorded = Omit<AskedAnswer, 'member' | 'round'>;
const ok = (latencyMs: number): Recorded => ({ status: 'ok', accepted: true, latencyMs });
const failed = (latencyMs: number): Recorded => ({ status: 'error', accepted: false, latencyMs });
const rejected = (latencyMs: number): Recorded => ({ status: 'rejected', accepted: false, latencyMs });

describe('generation plans', () => {
  const listed = ['a', 'b', 'c', 'd'];

  it('compare and fusion ask every member at once, in one round, and pick nobody', () => {
    for (const strategy of ['compare', 'fusion'] as const) {
      const r = replayGeneration(generationPlanFor(strategy, listed), listed, () => ok(10));
      assert.deepEqual(
        r.asked.map((a) => [a.member, a.round]),
        listed.map((m) => [m, 1]),
      );
      assert.equal(r.picked, null);
      assert.equal(r.calls, 4);
    }
  });

  it('firstSuccess in order skips failures and rejected answers and stops at the first accepted one', () => {
    const table: Record<string, Recorded> = { a: failed(5), b: rejected(5), c: ok(50), d: ok(1) };
    const r = replayGeneration(generationPlanFor('firstSuccess', listed, 1), listed, (m) => table[m]!);
    assert.equal(r.picked, 'c');
    assert.equal(r.calls, 3, 'd is never asked');
    assert.equal(r.rounds, 3);
  });

  it('firstSuccess k at a time picks the accepted answer that arrived first in its round; ties go to the earlier-listed member', () => {
    const table: Record<string, Recorded> = { a: failed(1), b: ok(30), c: ok(20), d: ok(20) };
    const r = replayGeneration(generationPlanFor('firstSuccess', listed, 3), listed, (m) => table[m]!);
    assert.equal(r.picked, 'c');
    assert.equal(r.calls, 3);
    assert.equal(r.rounds, 1);
    const tie = replayGeneration(generationPlanFor('firstSuccess', ['d', 'c'], 2), ['d', 'c'], (m) => table[m]!);
    assert.equal(tie.picked, 'd');
  });

  it('firstSuccess with no acceptable answer asks everyone and picks nobody', () => {
    const r = replayGeneration(generationPlanFor('firstSuccess', listed, 2), listed, () => failed(3));
    assert.equal(r.picked, null);
    assert.equal(r.calls, 4);
    assert.equal(r.rounds, 2);
  });

  it('replay agrees with running the rule round by round over the same answers', () => {
    const table: Record<string, Recorded> = { a: failed(1), b: failed(2), c: ok(9), d: ok(3) };
    const plan = generationPlanFor('firstSuccess', listed, 2);
    const stepwise: AskedAnswer[] = [];
    for (let round = 1; ; round++) {
      const batch = plan.next(stepwise);
      if (batch.length === 0) break;
      stepwise.push(...batch.map((member) => ({ ...table[member]!, member, round })));
    }
    const replayed = replayGeneration(plan, listed, (m) => table[m]!);
    assert.deepEqual(
      replayed.asked.map((a) => a.member),
      stepwise.map((a) => a.member),
    );
    assert.equal(replayed.picked, plan.pick(stepwise));
  });
});

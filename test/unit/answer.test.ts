/**
 * Answers ask through the engine's plan, as classifications do: with fake members answering from a
 * table, the members asked, in which batches, and the answer are what the engine's plan gives over
 * the same normalized answers (plus one answer nobody gave yet, which a member not asked could give).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StrategyName } from '../../protocol/ensemble';
import type { Backend } from '../../daemon/backends/backend';
import { answer } from '../../daemon/ensemble/answer';
import type { ResolvedMember } from '../../daemon/strategies/members';
import type { MemberCaller } from '../../daemon/ensemble/memberCaller';
import { planFor, replayPlan } from '../../daemon/strategies/engine';
import type { StrategyVote } from '../../daemon/strategies/types';

const MEMBERS = ['a', 'b', 'c', 'd', 'e'];
const OTHER = '\u0000other';

async function live(strategy: StrategyName, answers: string[]) {
  const batches: string[][] = [];
  let open: string[] | null = null;
  const pool: MemberCaller<string> = {
    isLocal: () => false,
    memberTimeoutMs: (_id: string, ms: number) => ms,
    ready: async (id: string) => id,
    call: async <T>(id: string, _signal: AbortSignal, task: (b: Backend) => Promise<T>) => {
      // Members answer on the next turn of the event loop, so members asked in the same turn are one batch.
      if (!open) {
        open = [];
        batches.push(open);
        setImmediate(() => (open = null));
      }
      open.push(id);
      const text = JSON.stringify({ answer: answers[MEMBERS.indexOf(id)], confidence: 0.9 });
      const generate = () => new Promise<{ text: string }>((resolve) => setImmediate(() => resolve({ text })));
      return task({ generate } as unknown as Backend);
    },
  };
  const members: ResolvedMember[] = MEMBERS.map((m) => ({ member: m, model: m, promptStyle: 'direct', priorWeight: 1 }));
  const result = await answer(
    { pool, weightOf: () => 1, calibrate: (_m, s) => ({ confidence: s.confidence }) },
    {
      ensemble: 't',
      members,
      question: 'When?',
      strategy,
      memberTimeoutMs: 5_000,
      deadlineMs: 10_000,
      earlyExit: { agreeK: 2, threshold: 0.6 },
    },
    new AbortController().signal,
    () => {},
  );
  return { result, batches };
}

/** The engine's replay over the same answers: labels are the answers plus one nobody gave. */
function replay(strategy: StrategyName, answers: string[]) {
  const labels = [...new Set(answers), OTHER];
  const plan = planFor(strategy, {
    labels,
    members: MEMBERS.map((member) => ({ member, weight: 1 })),
    earlyExit: { agreeK: 2, threshold: 0.6 },
    fit: null,
    category: null,
    features: null,
  });
  const vote = (m: string): StrategyVote => ({
    member: m,
    label: answers[MEMBERS.indexOf(m)]!,
    probabilities: {},
    confidence: 0.9,
    weight: 1,
    status: 'ok',
  });
  return replayPlan(plan, MEMBERS, vote);
}

const rows: Array<{ name: string; strategy: StrategyName; answers: string[]; asked: number; rounds: number; answer: string }> = [
  {
    name: 'majority asks everyone at once',
    strategy: 'majority',
    answers: ['21', '21', '22', '21', '19'],
    asked: 5,
    rounds: 1,
    answer: '21',
  },
  {
    name: 'early exit: the first two agree confidently -> one round',
    strategy: 'earlyExit',
    answers: ['21', '21', '22', '22', '22'],
    asked: 2,
    rounds: 1,
    answer: '21',
  },
  {
    name: 'early exit: a split -> the fewest that could settle it, at once',
    strategy: 'earlyExit',
    answers: ['21', '22', '22', '22', '21'],
    asked: 4,
    rounds: 2,
    answer: '22',
  },
];

describe('answers: live asking follows the engine', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const { result, batches } = await live(row.strategy, row.answers);
      const r = replay(row.strategy, row.answers);
      assert.equal(r.calls, row.asked);
      assert.equal(r.rounds, row.rounds);
      assert.equal(batches.flat().length, r.calls);
      assert.equal(batches.length, r.rounds);
      assert.equal(result.normalized, row.answer);
      assert.equal(result.normalized, r.outcome.label);
      assert.deepEqual(
        result.votes.map((v) => v.status),
        r.votes.map((v) => v.status),
      );
      assert.equal(result.earlyExit, r.calls < MEMBERS.length);
    });
  }
});

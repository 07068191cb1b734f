/**
 * One bad member never fails a request: whatever a member's reply makes a per-member step throw
 * (reading, normalizing, calibrating), that member's vote is an `error` with the reason and the
 * request returns with the other members' votes. Unit fakes: a pool whose members answer from a
 * table, and a calibration that throws for one model (as a corrupt fit could).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Backend, LabelScores } from '../../../daemon/backends/backend';
import { answer } from '../../../daemon/ensemble/answer';
import { classify } from '../../../daemon/ensemble/classify';
import type { ResolvedMember } from '../../../daemon/strategies/members';
import type { MemberCaller } from '../../../daemon/ensemble/memberCaller';
import { planFor } from '../../../daemon/strategies/engine';

const MEMBERS = ['good1', 'good2', 'bad'];
const members: ResolvedMember[] = MEMBERS.map((m) => ({ member: m, model: m, promptStyle: 'direct', priorWeight: 1 }));

/** A pool whose member `id` answers `reply(id)`: text for generate, scores for classify. */
function fakePool(text: (id: string) => string): MemberCaller<string> {
  return {
    isLocal: () => false,
    memberTimeoutMs: (_id: string, ms: number) => ms,
    ready: async (id: string) => id,
    call: async <T>(id: string, _signal: AbortSignal, task: (b: Backend) => Promise<T>) => {
      const backend = {
        generate: async () => ({ text: text(id) }),
        classify: async (): Promise<LabelScores> => ({
          label: 'bug',
          probabilities: { bug: 0.8, feature: 0.2 },
          confidence: 0.8,
          confidenceSource: 'logprobs',
        }),
      };
      return task(backend as unknown as Backend);
    },
  };
}

/** A calibration that throws for the bad member, as a corrupt fitted calibration could. */
function calibrateThrowingFor(bad: string) {
  return (model: string, s: LabelScores) => {
    if (model === bad) throw new TypeError('t.toPrecision is not a function');
    return { confidence: s.confidence, probabilities: s.probabilities };
  };
}

/** Asks the three members one question, majority vote. */
function ask(pool: MemberCaller<string>, calibrate: (model: string, s: LabelScores) => { confidence: number | null }) {
  return answer(
    { pool, weightOf: () => 1, calibrate },
    {
      ensemble: 't',
      members,
      question: 'Capital of France?',
      strategy: 'majority',
      memberTimeoutMs: 5_000,
      deadlineMs: 10_000,
      earlyExit: { agreeK: 2, threshold: 0.6 },
    },
    new AbortController().signal,
    () => {},
  );
}

describe('a per-member step that throws costs that member its vote only', () => {
  it('answer: the bad member is an error vote naming the reason; the good ones decide', async () => {
    const r = await ask(
      fakePool(() => '{"answer": "Paris", "confidence": 0.9}'),
      calibrateThrowingFor('bad'),
    );
    assert.equal(r.normalized, 'paris');
    assert.deepEqual(
      r.votes.map((v) => v.status),
      ['ok', 'ok', 'error'],
    );
    assert.equal(r.votes[2]!.error?.kind, 'BackendError');
    assert.match(r.votes[2]!.error!.message, /toPrecision/);
    assert.equal(r.partial, true);
  });

  it('answer: hostile replies ("5 constructor", 100k newlines after "answer") are votes, not failures', async () => {
    const replies: Record<string, string> = { good1: 'Paris', good2: 'paris.', bad: '5 constructor' };
    const r = await ask(
      fakePool((id) => replies[id]!),
      (_m, s) => ({ confidence: s.confidence }),
    );
    assert.equal(r.normalized, 'paris');
    assert.deepEqual(
      r.votes.map((v) => [v.status, v.normalized]),
      [
        ['ok', 'paris'],
        ['ok', 'paris'],
        ['ok', '5 constructor'],
      ],
    );
  });

  it('classify: the bad member is an error vote naming the reason; the good ones decide', async () => {
    const labels = ['bug', 'feature'];
    const plan = planFor('majority', {
      labels,
      members: MEMBERS.map((m) => ({ member: m, weight: 1 })),
      earlyExit: { agreeK: 2, threshold: 0.6 },
      fit: null,
      category: null,
      features: null,
    });
    const d = await classify(
      fakePool(() => ''),
      {
        ensemble: 't',
        members,
        text: 'x',
        labels,
        strategy: 'majority',
        plan: { ...plan, calibrate: calibrateThrowingFor('bad') },
        memberTimeoutMs: 5_000,
        deadlineMs: 10_000,
      },
      new AbortController().signal,
      () => {},
    );
    assert.equal(d.label, 'bug');
    assert.deepEqual(
      d.votes.map((v) => v.status),
      ['ok', 'ok', 'error'],
    );
    assert.match(d.votes[2]!.error!.message, /toPrecision/);
  });
});

/**
 * The engine's strategies, table-tested once: for each, the members asked (in which batches), the
 * decision, and the number of calls, replayed over known votes. Then the daemon's orchestrator
 * (ensemble/classify.ts) with fake members: the same votes give the same decision and call count
 * as the replay `ensemble eval` runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StrategyName } from '../../../protocol/ensemble';
import type { Backend, LabelScores } from '../../../daemon/backends/backend';
import { classify } from '../../../daemon/ensemble/classify';
import type { ResolvedMember } from '../../../daemon/strategies/members';
import type { MemberCaller } from '../../../daemon/ensemble/memberCaller';
import { planFor, replayPlan, type PlanInput } from '../../../daemon/strategies/engine';
import type { StrategyFit } from '../../../daemon/strategies/fit';
import { stackingDim, type StackingExtra } from '../../../daemon/strategies/stackingFeatures';
import { textFeatures } from '../../../daemon/strategies/textFeatures';
import type { StrategyVote } from '../../../daemon/strategies/types';
import { near, ok, skipped, timeout } from './helpers';

const LABELS = ['x', 'y', 'z'];
const MEMBERS = ['a', 'b', 'c', 'd', 'e'];

/** A router that scores member `top` high on every input (bias bucket 0) and the others low. */
function fitFor(top: string, topScore: number): StrategyFit {
  const logit = (p: number) => Math.log(p / (1 - p));
  return {
    members: MEMBERS,
    labelCount: 3,
    global: [0.6, 0.5, 0.5, 0.5, 0.9],
    byCategory: { law: [0.9, 0.4, 0.4, 0.4, 0.4] },
    stacking: null,
    router: {
      bits: 8,
      weights: MEMBERS.map((m) => ({ index: [0], value: [logit(m === top ? topScore : 0.45 - 0.01 * MEMBERS.indexOf(m))] })),
      threshold: 0.6,
      fallback: 2,
    },
  };
}

const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  labels: LABELS,
  members: MEMBERS.map((member) => ({ member, weight: 1 })),
  earlyExit: { agreeK: 2, threshold: 0 },
  fit: null,
  category: null,
  features: textFeatures('some input', null, 8),
  ...over,
});

function votesOf(labels: Array<string | null>): (m: string) => StrategyVote {
  return (m) => ok(m, labels[MEMBERS.indexOf(m)] ?? null);
}

interface Row {
  name: string;
  strategy: StrategyName;
  input?: Partial<PlanInput>;
  votes: Array<string | null>;
  label: string | null;
  calls: number;
  rounds: number;
}

const rows: Row[] = [
  { name: 'majority asks everyone at once', strategy: 'majority', votes: ['x', 'y', 'y', 'x', 'y'], label: 'y', calls: 5, rounds: 1 },
  { name: 'majority tie -> earliest-listed', strategy: 'majority', votes: ['x', 'y', 'y', 'x', null], label: 'x', calls: 5, rounds: 1 },
  {
    name: 'weighted: a heavy member outvotes two',
    strategy: 'weighted',
    input: { members: MEMBERS.map((member) => ({ member, weight: member === 'e' ? 5 : 1 })) },
    votes: ['x', 'x', 'y', 'y', 'z'],
    label: 'z',
    calls: 5,
    rounds: 1,
  },
  {
    name: 'earlyExit: the first two agree -> stop after one round',
    strategy: 'earlyExit',
    votes: ['x', 'x', 'y', 'y', 'y'],
    label: 'x',
    calls: 2,
    rounds: 1,
  },
  {
    name: 'earlyExit: a split -> the two that could settle it, at once',
    strategy: 'earlyExit',
    votes: ['x', 'y', 'y', 'y', 'x'],
    label: 'y',
    calls: 4,
    rounds: 2,
  },
  {
    name: 'earlyExit: still open -> the last one',
    strategy: 'earlyExit',
    votes: ['x', 'y', 'x', 'y', 'z'],
    label: 'x',
    calls: 5,
    rounds: 3,
  },
  {
    name: 'learned: global reliabilities trust e',
    strategy: 'learned',
    input: { fit: fitFor('a', 0.9) },
    votes: ['x', 'y', 'y', 'x', 'z'],
    label: 'z',
    calls: 5,
    rounds: 1,
  },
  {
    name: 'learned: in law, a is the expert',
    strategy: 'learned',
    input: { fit: fitFor('a', 0.9), category: 'law' },
    votes: ['x', 'y', 'y', 'z', 'z'],
    label: 'x',
    calls: 5,
    rounds: 1,
  },
  {
    name: 'routed: a sure router asks one member',
    strategy: 'routed',
    input: { fit: fitFor('c', 0.9) },
    votes: ['x', 'y', 'z', 'x', 'x'],
    label: 'z',
    calls: 1,
    rounds: 1,
  },
  {
    name: 'routed: an unsure router asks two more',
    strategy: 'routed',
    input: { fit: fitFor('c', 0.5) },
    votes: ['x', 'x', 'z', 'x', 'x'],
    label: 'x',
    calls: 3,
    rounds: 2,
  },
  {
    name: 'routed: an abstaining top member -> the next one',
    strategy: 'routed',
    input: { fit: fitFor('c', 0.9) },
    votes: ['y', 'x', null, 'x', 'x'],
    label: 'x',
    calls: 4,
    rounds: 3,
  },
  {
    name: "stacking with the router's per-input reliabilities: the member it trusts on this input outvotes four",
    strategy: 'stacking',
    input: { fit: stackingFit() },
    votes: ['x', 'x', 'z', 'y', 'y'],
    label: 'z',
    calls: 5,
    rounds: 1,
  },
  {
    name: "stacking's routerChoice extra: c abstains, so the answer of the most trusted member who answered (a) wins",
    strategy: 'stacking',
    input: { fit: stackingFit(['routerChoice']) },
    votes: ['y', 'x', null, 'x', 'x'],
    label: 'y',
    calls: 5,
    rounds: 1,
  },
];

/**
 * A stacking fit that reads the router (fitFor('c', 0.9): c is trusted on every input, then a, b,
 * d, e). Without extras it weighs only the router's per-member block, voted(m, c) * (logit p̂[m] -
 * logit g[m]): c's lone vote wins. With routerChoice it weighs only those two last features.
 */
function stackingFit(extras: StackingExtra[] = []): StrategyFit {
  const base = fitFor('c', 0.9);
  const M = MEMBERS.length;
  const dim = stackingDim(M, true, null, extras);
  const weights = new Array(dim).fill(0);
  if (extras.length === 0) for (let m = 0; m < M; m++) weights[3 * M + (M * (M - 1)) / 2 + 3 + m] = 1;
  else weights.fill(2, dim - 2);
  return { ...base, stacking: { lambda: 1, weights, usesRouter: true, ...(extras.length ? { extras } : {}) } };
}

describe('engine: every strategy, replayed', () => {
  for (const row of rows) {
    it(row.name, () => {
      const plan = planFor(row.strategy, input(row.input));
      const r = replayPlan(plan, MEMBERS, votesOf(row.votes));
      assert.equal(r.outcome.label, row.label);
      assert.equal(r.calls, row.calls);
      assert.equal(r.rounds, row.rounds);
      assert.equal(r.votes.filter((v) => v.status === 'skipped').length, MEMBERS.length - row.calls);
    });
  }

  it("routed reports the router's scores and order", () => {
    const plan = planFor('routed', input({ fit: fitFor('c', 0.9) }));
    assert.equal(plan.route!.ranked[0], 'c');
    assert.ok(Math.abs(plan.route!.scores.c! - 0.9) < 1e-9);
  });

  it('fitted strategies without a fit, or with unknown members, say what to run', () => {
    assert.throws(() => planFor('learned', input()), /ensemble fit/);
    assert.throws(() => planFor('stacking', input({ fit: fitFor('a', 0.9) })), /no stacking model/);
    const other = { ...fitFor('a', 0.9), members: ['a', 'b'] };
    assert.throws(() => planFor('routed', input({ fit: other })), /does not know member\(s\) c, d, e/);
  });

  it('stacking decides from its fitted weights: trusting the agreeing pair (a, b)', () => {
    // Features (M = 5): 5 votes, 5 expertise, 10 pairs, 5 silent, 3 aggregates. Weight only pair (a, b).
    const weights = new Array(28).fill(0);
    weights[10] = 3;
    const fit: StrategyFit = { ...fitFor('a', 0.9), stacking: { lambda: 1, weights, usesRouter: false } };
    const plan = planFor('stacking', input({ fit }));
    const r = replayPlan(plan, MEMBERS, votesOf(['x', 'x', 'y', 'y', 'y']));
    assert.equal(r.outcome.label, 'x');
    assert.equal(r.calls, 5);
  });
});

/** The daemon's orchestrator over fake members that answer from a table. */
async function live(strategy: StrategyName, over: Partial<PlanInput>, labels: Array<string | null>) {
  const backend = (model: string): Backend =>
    ({
      id: model,
      classify: async (): Promise<LabelScores> => ({
        label: labels[MEMBERS.indexOf(model)] ?? null,
        probabilities: {},
        confidence: null,
        confidenceSource: 'none',
      }),
    }) as unknown as Backend;
  const asked: string[] = [];
  const pool: MemberCaller<string> = {
    isLocal: () => false,
    memberTimeoutMs: (_id: string, ensembleTimeoutMs: number) => ensembleTimeoutMs,
    ready: async (id: string) => id,
    call: async <T>(id: string, _signal: AbortSignal, task: (b: Backend) => Promise<T>) => {
      asked.push(id);
      return task(backend(id));
    },
  };
  const members: ResolvedMember[] = MEMBERS.map((m) => ({ member: m, model: m, promptStyle: 'direct', priorWeight: 1 }));
  const plan = planFor(strategy, input(over));
  const decision = await classify(
    pool,
    {
      ensemble: 't',
      members,
      text: 'some input',
      labels: LABELS,
      strategy,
      plan: { ...plan, calibrate: (_m, s) => ({ confidence: s.confidence, probabilities: s.probabilities }) },
      memberTimeoutMs: 5_000,
      deadlineMs: 10_000,
    },
    new AbortController().signal,
    () => {},
  );
  return { decision, asked };
}

describe('live orchestrator and replay agree', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const { decision, asked } = await live(row.strategy, row.input ?? {}, row.votes);
      const replay = replayPlan(planFor(row.strategy, input(row.input)), MEMBERS, votesOf(row.votes));
      assert.equal(decision.label, replay.outcome.label);
      assert.equal(decision.calls, replay.calls);
      assert.equal(asked.length, replay.calls);
      assert.equal(decision.rounds, replay.rounds);
      assert.deepEqual(
        decision.votes.map((v) => v.status),
        replay.votes.map((v) => v.status),
      );
      if (row.strategy === 'routed') assert.deepEqual(decision.route!.chosen, asked);
    });
  }
});

describe('engine: the fixed strategies decide over votes already collected', () => {
  const labels = ['x', 'y'];
  const members = ['A', 'B', 'C', 'D', 'E'].map((member) => ({ member, weight: 1 }));
  // Two light x voters against one heavy, confident y voter, one timeout, one skipped.
  const votes: StrategyVote[] = [
    ok('A', 'x', { probabilities: { x: 0.6, y: 0.4 } }),
    ok('B', 'y', { probabilities: { y: 1 }, weight: 3 }),
    timeout('C'),
    ok('D', 'x', { probabilities: { x: 0.6, y: 0.4 } }),
    skipped('E'),
  ];
  const decide = (strategy: StrategyName, vs: readonly StrategyVote[], earlyExit = { agreeK: 99, threshold: 1 }) =>
    planFor(strategy, input({ labels, members, earlyExit, features: null })).decide(vs);
  const rows: { strategy: StrategyName; label: string; confidence: number; agreement: number; note: string }[] = [
    { strategy: 'majority', label: 'x', confidence: 2 / 3, agreement: 2 / 3, note: '2 of 3 agree; 1 timed out; 1 skipped' },
    { strategy: 'weighted', label: 'y', confidence: 3.8 / 5, agreement: 1 / 3, note: '1 of 3 agrees; 1 timed out; 1 skipped' },
    // E, skipped, could only tie y with x, and x keeps a tie (its first voter came earlier).
    {
      strategy: 'earlyExit',
      label: 'x',
      confidence: 2 / 3,
      agreement: 2 / 3,
      note: '2 of 3 agree; 1 timed out; 1 skipped; early exit: the rest could not change the outcome',
    },
  ];
  for (const row of rows) {
    it(`${row.strategy}: label, confidence, agreement and note`, () => {
      const out = decide(row.strategy, votes);
      assert.equal(out.label, row.label);
      near(out.confidence, row.confidence, 'confidence');
      near(out.agreement, row.agreement, 'agreement');
      assert.equal(out.note, row.note);
    });
  }

  it('earlyExit names why it stopped, and gives no reason while the skipped could still change the outcome', () => {
    const twoX = (confidence: number | null) => [
      ok('A', 'x', { confidence }),
      ok('B', 'x', { confidence }),
      skipped('C'),
      skipped('D'),
      skipped('E'),
    ];
    const settings = { agreeK: 2, threshold: 0.6 };
    assert.equal(decide('earlyExit', twoX(null), settings).note, '2 of 2 agree; 3 skipped');
    const confident = decide('earlyExit', twoX(0.9), settings);
    assert.equal(confident.label, 'x');
    assert.equal(confident.note, '2 of 2 agree; 3 skipped; early exit: the first members agreed confidently');
  });

  it('an unknown strategy is refused by name', () => {
    assert.throws(() => planFor('bogus' as StrategyName, input()), /unknown strategy "bogus"/);
  });
});

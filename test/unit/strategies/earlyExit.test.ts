import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  earlyExitOutcome,
  settle,
  type EarlyExitBase,
  type EarlyExitReason,
  type RemainingMember,
} from '../../../daemon/strategies/earlyExit';
import type { StrategyVote } from '../../../daemon/strategies/types';
import { near, ok, skipped, timeout } from './helpers';

const labels = ['x', 'y', 'z'];
const rest = (...ids: string[]): RemainingMember[] => ids.map((member) => ({ member, weight: 1 }));
const c = (confidence: number | null) => ({ confidence });

interface Row {
  name: string;
  votes: StrategyVote[];
  remaining: RemainingMember[];
  agreeK: number;
  threshold: number;
  base: EarlyExitBase;
  reason: EarlyExitReason | null;
}

const rows: Row[] = [
  // majority base
  {
    name: 'first k agree with enough confidence',
    votes: [ok('A', 'x', c(0.9)), ok('B', 'x', c(0.7))],
    remaining: rest('C', 'D', 'E'),
    agreeK: 2,
    threshold: 0.6,
    base: 'majority',
    reason: 'unanimousK',
  },
  {
    name: 'NOT settled: first k agree, one below threshold',
    votes: [ok('A', 'x', c(0.9)), ok('B', 'x', c(0.5))],
    remaining: rest('C', 'D', 'E'),
    agreeK: 2,
    threshold: 0.6,
    base: 'majority',
    reason: null,
  },
  {
    name: 'NOT settled: null confidence fails a positive threshold',
    votes: [ok('A', 'x', c(0.9)), ok('B', 'x', c(null))],
    remaining: rest('C', 'D', 'E'),
    agreeK: 2,
    threshold: 0.6,
    base: 'majority',
    reason: null,
  },
  {
    name: 'null confidence passes threshold 0',
    votes: [ok('A', 'x', c(0.9)), ok('B', 'x', c(null))],
    remaining: rest('C', 'D', 'E'),
    agreeK: 2,
    threshold: 0,
    base: 'majority',
    reason: 'unanimousK',
  },
  {
    name: 'first k VOTING members: timeouts and abstentions are passed over',
    votes: [timeout('A'), ok('B', null), ok('C', 'x', c(0.8)), ok('D', 'x', c(0.8))],
    remaining: rest('E', 'F', 'G'),
    agreeK: 2,
    threshold: 0.6,
    base: 'majority',
    reason: 'unanimousK',
  },
  {
    name: 'agreeK 1, threshold 0: the first vote settles',
    votes: [ok('A', 'y')],
    remaining: rest('B', 'C', 'D'),
    agreeK: 1,
    threshold: 0,
    base: 'majority',
    reason: 'unanimousK',
  },
  {
    name: 'NOT settled: first two disagree and the rest can still overturn',
    votes: [ok('A', 'x', c(0.9)), ok('B', 'y', c(0.9)), ok('C', 'x', c(0.9))],
    remaining: rest('D', 'E'),
    agreeK: 2,
    threshold: 0.6,
    base: 'majority',
    reason: null,
  },
  {
    name: 'lead larger than the remaining members',
    votes: [ok('A', 'x'), ok('B', 'x'), ok('C', 'x')],
    remaining: rest('D', 'E'),
    agreeK: 5,
    threshold: 0.6,
    base: 'majority',
    reason: 'cannotChange',
  },
  {
    name: 'reachable tie won by the leader (its first voter is earlier)',
    votes: [ok('A', 'x'), ok('B', 'x'), ok('C', 'y')],
    remaining: rest('D'),
    agreeK: 4,
    threshold: 0.6,
    base: 'majority',
    reason: 'cannotChange',
  },
  {
    name: 'NOT settled: reachable tie lost by the leader (y was voted first)',
    votes: [ok('A', 'y'), ok('B', 'x'), ok('C', 'x')],
    remaining: rest('D'),
    agreeK: 4,
    threshold: 0.6,
    base: 'majority',
    reason: null,
  },
  {
    name: 'two-member pool: a tie with an unvoted label goes to the first vote',
    votes: [ok('A', 'x', c(null))],
    remaining: rest('B'),
    agreeK: 2,
    threshold: 0.6,
    base: 'majority',
    reason: 'cannotChange',
  },
  {
    name: 'NOT settled: three-member pool after one vote',
    votes: [ok('A', 'x', c(0.99))],
    remaining: rest('B', 'C'),
    agreeK: 2,
    threshold: 0.6,
    base: 'majority',
    reason: null,
  },
  {
    name: 'NOT settled: nobody voted yet, members remain',
    votes: [timeout('A')],
    remaining: rest('B', 'C'),
    agreeK: 2,
    threshold: 0.6,
    base: 'majority',
    reason: null,
  },
  {
    name: 'nobody voted and nobody remains',
    votes: [timeout('A'), timeout('B')],
    remaining: [],
    agreeK: 2,
    threshold: 0.6,
    base: 'majority',
    reason: 'cannotChange',
  },
  {
    name: 'both hold: cannotChange is reported',
    votes: [ok('A', 'x', c(0.9)), ok('B', 'x', c(0.9))],
    remaining: rest('C'),
    agreeK: 2,
    threshold: 0.6,
    base: 'majority',
    reason: 'cannotChange',
  },
  {
    name: 'NOT settled (majority): weight-0 member still votes',
    votes: [ok('A', 'x', { weight: 0, confidence: 0.9 }), ok('B', 'y', c(0.9)), ok('C', 'y', c(0.9))],
    remaining: rest('D', 'E'),
    agreeK: 2,
    threshold: 0.6,
    base: 'majority',
    reason: null,
  },
  // weighted base
  {
    name: 'weighted: lead larger than the remaining weight',
    votes: [ok('A', 'x', { weight: 3 })],
    remaining: rest('B', 'C'),
    agreeK: 2,
    threshold: 0.6,
    base: 'weighted',
    reason: 'cannotChange',
  },
  {
    name: 'NOT settled (weighted): a heavier member remains',
    votes: [ok('A', 'x')],
    remaining: [{ member: 'B', weight: 2 }],
    agreeK: 2,
    threshold: 0.6,
    base: 'weighted',
    reason: null,
  },
  {
    name: 'weighted: reachable tie won by the leader',
    votes: [ok('A', 'x', { weight: 2 })],
    remaining: rest('B', 'C'),
    agreeK: 2,
    threshold: 0.6,
    base: 'weighted',
    reason: 'cannotChange',
  },
  {
    name: 'NOT settled (weighted): reachable tie lost by the leader',
    votes: [ok('A', 'y'), ok('B', 'x', { weight: 2 })],
    remaining: rest('C'),
    agreeK: 3,
    threshold: 0.6,
    base: 'weighted',
    reason: null,
  },
  {
    name: 'weighted: remaining members all weight 0',
    votes: [ok('A', 'x'), ok('B', 'y')],
    remaining: [{ member: 'C', weight: 0 }],
    agreeK: 2,
    threshold: 0.6,
    base: 'weighted',
    reason: 'cannotChange',
  },
  {
    name: 'weighted: weight-0 members are passed over for the first k',
    votes: [ok('A', 'x', { weight: 0, confidence: 0.9 }), ok('B', 'y', c(0.9)), ok('C', 'y', c(0.9))],
    remaining: [
      { member: 'D', weight: 5 },
      { member: 'E', weight: 5 },
    ],
    agreeK: 2,
    threshold: 0.6,
    base: 'weighted',
    reason: 'unanimousK',
  },
  {
    name: 'NOT settled (weighted): leader carried by distributions only loses any tie',
    votes: [ok('A', 'x', { probabilities: { x: 0.4, y: 0.6 } })],
    remaining: [{ member: 'B', weight: 0.2 }],
    agreeK: 2,
    threshold: 0.6,
    base: 'weighted',
    reason: null,
  },
  {
    name: 'weighted: leader carried by distributions, tie out of reach',
    votes: [ok('A', 'x', { probabilities: { x: 0.4, y: 0.6 } })],
    remaining: [{ member: 'B', weight: 0.1 }],
    agreeK: 2,
    threshold: 0.6,
    base: 'weighted',
    reason: 'cannotChange',
  },
];

describe('settle', () => {
  for (const row of rows) {
    it(row.name, () => {
      const out = settle(row.votes, row.remaining, labels, { agreeK: row.agreeK, threshold: row.threshold }, row.base);
      assert.deepEqual(out, { settled: row.reason !== null, reason: row.reason });
    });
  }
});

describe('earlyExitOutcome', () => {
  const settings = { agreeK: 2, threshold: 0.6 };
  const cases: {
    name: string;
    votes: StrategyVote[];
    settings?: typeof settings;
    base?: EarlyExitBase;
    label: string | null;
    confidence: number;
    voters: number;
    skipped: string[];
    reason: EarlyExitReason | null;
    note: string;
  }[] = [
    {
      name: 'stopped on k confident agreements',
      votes: [ok('A', 'x', c(0.9)), ok('B', 'x', c(0.8)), skipped('C'), skipped('D'), skipped('E')],
      settings,
      label: 'x',
      confidence: 1,
      voters: 2,
      skipped: ['C', 'D', 'E'],
      reason: 'unanimousK',
      note: '2 of 2 agree; 3 skipped; early exit: the first members agreed confidently',
    },
    {
      name: 'stopped because the rest could not change it',
      votes: [ok('A', 'x'), ok('B', 'y'), ok('C', 'x'), skipped('D')],
      settings: { agreeK: 3, threshold: 0.6 },
      label: 'x',
      confidence: 2 / 3,
      voters: 3,
      skipped: ['D'],
      reason: 'cannotChange',
      note: '2 of 3 agree; 1 skipped; early exit: the rest could not change the outcome',
    },
    {
      name: 'timeouts among the arrived votes',
      votes: [timeout('A'), ok('B', 'x', c(0.9)), ok('C', 'x', c(0.9)), skipped('D'), skipped('E'), skipped('F')],
      settings,
      label: 'x',
      confidence: 1,
      voters: 2,
      skipped: ['D', 'E', 'F'],
      reason: 'unanimousK',
      note: '2 of 2 agree; 1 timed out; 3 skipped; early exit: the first members agreed confidently',
    },
    {
      name: 'without settings: no reason',
      votes: [ok('A', 'x', c(0.9)), ok('B', 'x', c(0.8)), skipped('C'), skipped('D'), skipped('E')],
      label: 'x',
      confidence: 1,
      voters: 2,
      skipped: ['C', 'D', 'E'],
      reason: null,
      note: '2 of 2 agree; 3 skipped',
    },
    {
      name: 'nobody skipped: no early exit',
      votes: [ok('A', 'x', c(0.9)), ok('B', 'y', c(0.8))],
      settings,
      label: 'x',
      confidence: 0.5,
      voters: 2,
      skipped: [],
      reason: null,
      note: '1 of 2 agrees; tie broken by member order',
    },
    {
      name: 'weighted base',
      votes: [ok('A', 'x', { weight: 3, probabilities: { x: 0.8, y: 0.2 } }), skipped('B')],
      settings,
      base: 'weighted',
      label: 'x',
      confidence: 0.8,
      voters: 1,
      skipped: ['B'],
      reason: 'cannotChange',
      note: '1 of 1 agrees; 1 skipped; early exit: the rest could not change the outcome',
    },
  ];
  for (const row of cases) {
    it(row.name, () => {
      const out = earlyExitOutcome(row.votes, labels, row.settings, row.base);
      assert.equal(out.label, row.label);
      near(out.confidence, row.confidence, 'confidence');
      assert.equal(out.voters, row.voters);
      assert.deepEqual(out.skipped, row.skipped);
      assert.equal(out.reason, row.reason);
      assert.equal(out.note, row.note);
    });
  }
});

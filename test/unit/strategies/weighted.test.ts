import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Outcome, StrategyVote } from '../../../daemon/strategies/types';
import { memberDistribution, weighted, weightedMass } from '../../../daemon/strategies/weighted';
import { failed, near, nearRecord, ok, timeout } from './helpers';

const labels = ['x', 'y', 'z'];

interface Row extends Outcome {
  name: string;
  votes: StrategyVote[];
}

const rows: Row[] = [
  {
    name: 'unanimous, with distributions',
    votes: [ok('A', 'x', { probabilities: { x: 0.8, y: 0.2 } }), ok('B', 'x', { probabilities: { x: 0.6, y: 0.4 } })],
    label: 'x',
    confidence: 0.7,
    agreement: 1,
    support: { x: 0.7, y: 0.3, z: 0 },
    tie: false,
    voters: 2,
    note: '2 of 2 agree',
  },
  {
    name: 'a heavy member outweighs two light ones',
    votes: [
      ok('A', 'x', { probabilities: { x: 0.9, y: 0.1 } }),
      ok('B', 'x', { probabilities: { x: 0.9, y: 0.1 } }),
      ok('C', 'y', { probabilities: { y: 1 }, weight: 3 }),
    ],
    label: 'y',
    confidence: 0.64,
    agreement: 1 / 3,
    support: { x: 0.36, y: 0.64, z: 0 },
    tie: false,
    voters: 3,
    note: '1 of 3 agrees',
  },
  {
    name: 'probabilities missing: one-hot scaled by confidence',
    votes: [ok('A', 'x', { confidence: 0.9 }), ok('B', 'y', { confidence: 0.3 }), ok('C', 'y', { confidence: 0.2 })],
    label: 'x',
    confidence: 0.9 / 1.4,
    agreement: 1 / 3,
    support: { x: 0.9 / 1.4, y: 0.5 / 1.4, z: 0 },
    tie: false,
    voters: 3,
    note: '1 of 3 agrees',
  },
  {
    name: 'probabilities and confidence missing: one-hot times weight',
    votes: [ok('A', 'x', { weight: 2 }), ok('B', 'y'), ok('C', 'y', { weight: 0.5 })],
    label: 'x',
    confidence: 2 / 3.5,
    agreement: 1 / 3,
    support: { x: 2 / 3.5, y: 1.5 / 3.5, z: 0 },
    tie: false,
    voters: 3,
    note: '1 of 3 agrees',
  },
  {
    name: 'distribution restricted to the labels and renormalized',
    votes: [ok('A', 'x', { probabilities: { x: 0.3, y: 0.1, other: 0.6 } })],
    label: 'x',
    confidence: 0.75,
    agreement: 1,
    support: { x: 0.75, y: 0.25, z: 0 },
    tie: false,
    voters: 1,
    note: '1 of 1 agrees',
  },
  {
    name: 'weight 0 does not count',
    votes: [ok('A', 'x', { weight: 0 }), ok('B', 'y')],
    label: 'y',
    confidence: 1,
    agreement: 1,
    support: { x: 0, y: 1, z: 0 },
    tie: false,
    voters: 1,
    note: '1 of 1 agrees; 1 at weight 0',
  },
  {
    name: 'all weights 0',
    votes: [ok('A', 'x', { weight: 0 }), ok('B', 'y', { weight: 0 })],
    label: null,
    confidence: 0,
    agreement: 0,
    support: { x: 0, y: 0, z: 0 },
    tie: false,
    voters: 0,
    note: 'no usable vote; 2 at weight 0',
  },
  {
    name: 'tie goes to the earliest member, whose label is not the first in `labels`',
    votes: [ok('A', 'y'), ok('B', 'x')],
    label: 'y',
    confidence: 0.5,
    agreement: 0.5,
    support: { x: 0.5, y: 0.5, z: 0 },
    tie: true,
    voters: 2,
    note: '1 of 2 agrees; tie broken by member order',
  },
  {
    name: 'float sums tie (0.1 + 0.2 vs 0.3)',
    votes: [ok('A', 'y', { confidence: 0.3 }), ok('B', 'x', { confidence: 0.1 }), ok('C', 'x', { confidence: 0.2 })],
    label: 'y',
    confidence: 0.5,
    agreement: 1 / 3,
    support: { x: 0.5, y: 0.5, z: 0 },
    tie: true,
    voters: 3,
    note: '1 of 3 agrees; tie broken by member order',
  },
  {
    name: 'tie between labels no voter chose: label order',
    votes: [ok('A', 'x', { probabilities: { y: 0.5, z: 0.5 } })],
    label: 'y',
    confidence: 0.5,
    agreement: 0,
    support: { x: 0, y: 0.5, z: 0.5 },
    tie: true,
    voters: 1,
    note: '0 of 1 agree; tie broken by label order',
  },
  {
    name: 'tie decided by the voter label, not its distribution',
    votes: [ok('A', 'x', { probabilities: { y: 1 } }), ok('B', 'x')],
    label: 'x',
    confidence: 0.5,
    agreement: 1,
    support: { x: 0.5, y: 0.5, z: 0 },
    tie: true,
    voters: 2,
    note: '2 of 2 agree; tie broken by member order',
  },
  {
    name: 'abstention (its probabilities ignored), timeout, error',
    votes: [ok('A', null, { probabilities: { x: 1 } }), timeout('B'), ok('C', 'y', { probabilities: { y: 0.7, z: 0.3 } }), failed('D')],
    label: 'y',
    confidence: 0.7,
    agreement: 1,
    support: { x: 0, y: 0.7, z: 0.3 },
    tie: false,
    voters: 1,
    note: '1 of 1 agrees; 1 abstained; 1 timed out; 1 failed',
  },
  {
    name: 'all timed out',
    votes: [timeout('A'), timeout('B', 3)],
    label: null,
    confidence: 0,
    agreement: 0,
    support: { x: 0, y: 0, z: 0 },
    tie: false,
    voters: 0,
    note: 'no usable vote; 2 timed out',
  },
  {
    name: 'all failed',
    votes: [failed('A'), failed('B')],
    label: null,
    confidence: 0,
    agreement: 0,
    support: { x: 0, y: 0, z: 0 },
    tie: false,
    voters: 0,
    note: 'no usable vote; 2 failed',
  },
  {
    name: 'one-member pool',
    votes: [ok('A', 'z', { probabilities: { x: 0.2, y: 0.2, z: 0.6 }, weight: 3 })],
    label: 'z',
    confidence: 0.6,
    agreement: 1,
    support: { x: 0.2, y: 0.2, z: 0.6 },
    tie: false,
    voters: 1,
    note: '1 of 1 agrees',
  },
  {
    name: 'confidence 0 and no probabilities: no mass anywhere',
    votes: [ok('A', 'x', { confidence: 0 })],
    label: null,
    confidence: 0,
    agreement: 0,
    support: { x: 0, y: 0, z: 0 },
    tie: false,
    voters: 1,
    note: 'no usable vote: voters put no mass on any label',
  },
];

describe('weighted', () => {
  for (const row of rows) {
    it(row.name, () => {
      const out = weighted(row.votes, labels);
      assert.equal(out.label, row.label);
      near(out.confidence, row.confidence, 'confidence');
      near(out.agreement, row.agreement, 'agreement');
      nearRecord(out.support, row.support, 'support');
      assert.equal(out.tie, row.tie);
      assert.equal(out.voters, row.voters);
      assert.equal(out.note, row.note);
    });
  }
});

describe('memberDistribution', () => {
  const cases: { name: string; vote: StrategyVote; expected: Record<string, number> }[] = [
    { name: 'normalized distribution', vote: ok('A', 'x', { probabilities: { x: 2, y: 2 } }), expected: { x: 0.5, y: 0.5 } },
    { name: 'one-hot times confidence', vote: ok('A', 'y', { confidence: 0.4 }), expected: { y: 0.4 } },
    { name: 'one-hot, no confidence', vote: ok('A', 'z'), expected: { z: 1 } },
    {
      name: 'mass only outside the labels: one-hot',
      vote: ok('A', 'x', { probabilities: { w: 1 }, confidence: 0.8 }),
      expected: { x: 0.8 },
    },
    { name: 'abstention: nothing', vote: ok('A', null), expected: {} },
  ];
  for (const c of cases) it(c.name, () => nearRecord(memberDistribution(c.vote, labels), c.expected));
});

describe('weightedMass', () => {
  it('raw mass, voters and weight-0 count', () => {
    const out = weightedMass(
      [ok('A', 'x', { weight: 2, probabilities: { x: 0.5, y: 0.5 } }), ok('B', 'y', { weight: 0 }), ok('C', 'z', { confidence: 0.5 })],
      labels,
    );
    nearRecord(out.mass, { x: 1, y: 1, z: 0.5 });
    assert.deepEqual(
      out.voters.map((v) => v.member),
      ['A', 'C'],
    );
    assert.equal(out.weightZero, 1);
  });
});

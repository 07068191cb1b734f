import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { majority } from '../../../daemon/strategies/majority';
import type { Outcome, StrategyVote } from '../../../daemon/strategies/types';
import { failed, near, nearRecord, ok, skipped, timeout } from './helpers';

const labels = ['x', 'y', 'z'];

/** Majority's agreement always equals its confidence, so rows state it once. */
interface Row extends Omit<Outcome, 'agreement'> {
  name: string;
  votes: StrategyVote[];
}

const rows: Row[] = [
  {
    name: 'unanimous',
    votes: [ok('A', 'x'), ok('B', 'x'), ok('C', 'x')],
    label: 'x',
    confidence: 1,
    support: { x: 1, y: 0, z: 0 },
    tie: false,
    voters: 3,
    note: '3 of 3 agree',
  },
  {
    name: '2-1 split',
    votes: [ok('A', 'x'), ok('B', 'y'), ok('C', 'x')],
    label: 'x',
    confidence: 2 / 3,
    support: { x: 2 / 3, y: 1 / 3, z: 0 },
    tie: false,
    voters: 3,
    note: '2 of 3 agree',
  },
  {
    name: 'tie goes to the earliest member, whose label is not the first in `labels`',
    votes: [ok('A', 'y'), ok('B', 'x')],
    label: 'y',
    confidence: 0.5,
    support: { x: 0.5, y: 0.5, z: 0 },
    tie: true,
    voters: 2,
    note: '1 of 2 agrees; tie broken by member order',
  },
  {
    name: 'three-way tie: earliest member wins',
    votes: [ok('A', 'z'), ok('B', 'y'), ok('C', 'x')],
    label: 'z',
    confidence: 1 / 3,
    support: { x: 1 / 3, y: 1 / 3, z: 1 / 3 },
    tie: true,
    voters: 3,
    note: '1 of 3 agrees; tie broken by member order',
  },
  {
    name: 'tie rule looks only at tied labels (A voted the trailing z)',
    votes: [ok('A', 'z'), ok('B', 'y'), ok('C', 'x'), ok('D', 'y'), ok('E', 'x')],
    label: 'y',
    confidence: 0.4,
    support: { x: 0.4, y: 0.4, z: 0.2 },
    tie: true,
    voters: 5,
    note: '2 of 5 agree; tie broken by member order',
  },
  {
    name: 'abstentions do not vote',
    votes: [ok('A', null), ok('B', 'x'), ok('C', null)],
    label: 'x',
    confidence: 1,
    support: { x: 1, y: 0, z: 0 },
    tie: false,
    voters: 1,
    note: '1 of 1 agrees; 2 abstained',
  },
  {
    name: 'a label outside the set is an abstention',
    votes: [ok('A', 'w'), ok('B', 'y')],
    label: 'y',
    confidence: 1,
    support: { x: 0, y: 1, z: 0 },
    tie: false,
    voters: 1,
    note: '1 of 1 agrees; 1 abstained',
  },
  {
    name: 'all abstain',
    votes: [ok('A', null), ok('B', null), ok('C', null)],
    label: null,
    confidence: 0,
    support: { x: 0, y: 0, z: 0 },
    tie: false,
    voters: 0,
    note: 'no usable vote; 3 abstained',
  },
  {
    name: 'all timed out',
    votes: [timeout('A'), timeout('B')],
    label: null,
    confidence: 0,
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
    support: { x: 0, y: 0, z: 0 },
    tie: false,
    voters: 0,
    note: 'no usable vote; 2 failed',
  },
  {
    name: 'a failed vote carrying a label still does not vote',
    votes: [{ ...failed('A'), label: 'x' }, ok('B', 'y')],
    label: 'y',
    confidence: 1,
    support: { x: 0, y: 1, z: 0 },
    tie: false,
    voters: 1,
    note: '1 of 1 agrees; 1 failed',
  },
  {
    name: 'mixed statuses',
    votes: [ok('A', 'x'), timeout('B'), ok('C', 'y'), failed('D'), ok('E', 'x'), skipped('F')],
    label: 'x',
    confidence: 2 / 3,
    support: { x: 2 / 3, y: 1 / 3, z: 0 },
    tie: false,
    voters: 3,
    note: '2 of 3 agree; 1 timed out; 1 failed; 1 skipped',
  },
  {
    name: 'one-member pool',
    votes: [ok('A', 'y')],
    label: 'y',
    confidence: 1,
    support: { x: 0, y: 1, z: 0 },
    tie: false,
    voters: 1,
    note: '1 of 1 agrees',
  },
  {
    name: 'one-member pool, timed out',
    votes: [timeout('A')],
    label: null,
    confidence: 0,
    support: { x: 0, y: 0, z: 0 },
    tie: false,
    voters: 0,
    note: 'no usable vote; 1 timed out',
  },
  {
    name: 'weights are ignored (weight 0 still votes)',
    votes: [ok('A', 'x', { weight: 0 }), ok('B', 'y', { weight: 5 }), ok('C', 'x', { weight: 0 })],
    label: 'x',
    confidence: 2 / 3,
    support: { x: 2 / 3, y: 1 / 3, z: 0 },
    tie: false,
    voters: 3,
    note: '2 of 3 agree',
  },
  {
    name: 'confidences are ignored',
    votes: [ok('A', 'x', { confidence: 0.1 }), ok('B', 'y', { confidence: 0.99 }), ok('C', 'x', { confidence: 0.2 })],
    label: 'x',
    confidence: 2 / 3,
    support: { x: 2 / 3, y: 1 / 3, z: 0 },
    tie: false,
    voters: 3,
    note: '2 of 3 agree',
  },
  {
    name: 'no members',
    votes: [],
    label: null,
    confidence: 0,
    support: { x: 0, y: 0, z: 0 },
    tie: false,
    voters: 0,
    note: 'no usable vote',
  },
];

describe('majority', () => {
  for (const row of rows) {
    it(row.name, () => {
      const out = majority(row.votes, labels);
      assert.equal(out.label, row.label);
      near(out.confidence, row.confidence, 'confidence');
      near(out.agreement, row.confidence, 'agreement equals confidence');
      nearRecord(out.support, row.support, 'support');
      assert.equal(out.tie, row.tie);
      assert.equal(out.voters, row.voters);
      assert.equal(out.note, row.note);
    });
  }
});

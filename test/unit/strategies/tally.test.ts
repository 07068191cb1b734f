import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  agreementOf,
  countByLabel,
  describeOutcome,
  firstVoterIndex,
  isVoting,
  normalizeSupport,
  pickWinner,
  votingMembers,
} from '../../../daemon/strategies/tally';
import type { StrategyVote } from '../../../daemon/strategies/types';
import { failed, nearRecord, ok, skipped, timeout } from './helpers';

const labels = ['x', 'y', 'z'];

describe('isVoting', () => {
  const cases: [string, StrategyVote, boolean][] = [
    ['ok with a label', ok('A', 'x'), true],
    ['ok, abstained', ok('A', null), false],
    ['ok, label outside the set', ok('A', 'w'), false],
    ['timeout', timeout('A'), false],
    ['error with a label', { ...failed('A'), label: 'x' }, false],
    ['skipped', skipped('A'), false],
    ['weight 0 still votes (weighted filters it itself)', ok('A', 'x', { weight: 0 }), true],
  ];
  for (const [name, vote, expected] of cases) it(name, () => assert.equal(isVoting(vote, labels), expected));
});

describe('counting', () => {
  const votes = [ok('A', 'y'), timeout('B'), ok('C', 'x'), ok('D', 'y'), ok('E', null)];
  const voters = votingMembers(votes, labels);
  it('votingMembers keeps member order', () =>
    assert.deepEqual(
      voters.map((v) => v.member),
      ['A', 'C', 'D'],
    ));
  it('countByLabel lists every label', () => assert.deepEqual(countByLabel(voters, labels), { x: 1, y: 2, z: 0 }));
  it('firstVoterIndex', () =>
    assert.deepEqual(
      [...firstVoterIndex(voters)],
      [
        ['y', 0],
        ['x', 1],
      ],
    ));
  it('agreementOf', () => {
    assert.equal(agreementOf(voters, 'y'), 2 / 3);
    assert.equal(agreementOf(voters, 'z'), 0);
    assert.equal(agreementOf(voters, null), 0);
    assert.equal(agreementOf([], 'x'), 0);
  });
  it('normalizeSupport', () => {
    nearRecord(normalizeSupport({ x: 1, y: 3 }, labels), { x: 0.25, y: 0.75, z: 0 });
    nearRecord(normalizeSupport({}, labels), { x: 0, y: 0, z: 0 });
  });
});

describe('pickWinner', () => {
  const cases: {
    name: string;
    scores: Record<string, number>;
    voters: StrategyVote[];
    label: string | null;
    tie: boolean;
    tieBreak: string | null;
  }[] = [
    {
      name: 'clear winner',
      scores: { x: 1, y: 2 },
      voters: [ok('A', 'x'), ok('B', 'y'), ok('C', 'y')],
      label: 'y',
      tie: false,
      tieBreak: null,
    },
    {
      name: 'tie: earliest member among tied labels',
      scores: { x: 2, y: 2, z: 1 },
      voters: [ok('A', 'z'), ok('B', 'y'), ok('C', 'x')],
      label: 'y',
      tie: true,
      tieBreak: 'memberOrder',
    },
    {
      name: 'tie, no voter among tied: label order',
      scores: { y: 0.5, z: 0.5 },
      voters: [ok('A', 'x')],
      label: 'y',
      tie: true,
      tieBreak: 'labelOrder',
    },
    { name: 'nothing scored', scores: {}, voters: [], label: null, tie: false, tieBreak: null },
  ];
  for (const c of cases)
    it(c.name, () => assert.deepEqual(pickWinner(c.scores, labels, c.voters), { label: c.label, tie: c.tie, tieBreak: c.tieBreak }));
});

describe('describeOutcome', () => {
  it('lists what did not vote', () => {
    const votes = [ok('A', 'x'), ok('B', null), timeout('C'), failed('D'), skipped('E'), ok('F', 'x', { weight: 0 })];
    const voters = votingMembers(votes, labels).filter((v) => v.weight > 0);
    assert.equal(
      describeOutcome({ votes, labels, voters, label: 'x', tieBreak: null, ignoredWeightZero: 1 }),
      '1 of 1 agrees; 1 abstained; 1 at weight 0; 1 timed out; 1 failed; 1 skipped',
    );
  });
});

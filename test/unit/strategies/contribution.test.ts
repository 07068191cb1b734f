import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contributions, type Contribution, type RecordedDecision } from '../../../daemon/strategies/contribution';

const zero: Contribution = { decisive: 0, overruledRight: 0, agreedRight: 0, votes: 0 };
const ok = (model: string, label: string | null) => ({ model, label, status: 'ok' as const });

interface Row {
  name: string;
  decisions: RecordedDecision[];
  expected: Record<string, Contribution>;
}

const rows: Row[] = [
  {
    name: 'unanimous and right: nobody alone is decisive',
    decisions: [{ votes: [ok('m1', 'x'), ok('m2', 'x'), ok('m3', 'x')], decided: 'x', gold: 'x' }],
    expected: {
      m1: { decisive: 0, overruledRight: 0, agreedRight: 1, votes: 1 },
      m2: { decisive: 0, overruledRight: 0, agreedRight: 1, votes: 1 },
      m3: { decisive: 0, overruledRight: 0, agreedRight: 1, votes: 1 },
    },
  },
  {
    name: '2-1 right: removing one of the two leaves a tie won by the other',
    decisions: [{ votes: [ok('m1', 'x'), ok('m2', 'x'), ok('m3', 'y')], decided: 'x', gold: 'x' }],
    expected: {
      m1: { decisive: 0, overruledRight: 0, agreedRight: 1, votes: 1 },
      m2: { decisive: 0, overruledRight: 0, agreedRight: 1, votes: 1 },
      m3: { ...zero, votes: 1 },
    },
  },
  {
    name: '2-1 wrong: the first x voter is decisive (without it the tie goes to y), the y voter is overruled',
    decisions: [{ votes: [ok('m1', 'x'), ok('m2', 'y'), ok('m3', 'x')], decided: 'x', gold: 'y' }],
    expected: {
      m1: { decisive: 1, overruledRight: 0, agreedRight: 0, votes: 1 },
      m2: { decisive: 0, overruledRight: 1, agreedRight: 0, votes: 1 },
      m3: { ...zero, votes: 1 },
    },
  },
  {
    name: 'sole voter is decisive; timeouts and abstentions are not votes',
    decisions: [{ votes: [{ model: 'm1', label: null, status: 'timeout' }, ok('m2', 'z'), ok('m3', null)], decided: 'z', gold: 'z' }],
    expected: {
      m1: zero,
      m2: { decisive: 1, overruledRight: 0, agreedRight: 1, votes: 1 },
      m3: zero,
    },
  },
  {
    name: 'decisions without gold are left out',
    decisions: [{ votes: [ok('m5', 'x')], decided: 'x', gold: null }],
    expected: {},
  },
  {
    name: 'a model asked twice counts per vote',
    decisions: [{ votes: [ok('m4', 'x'), ok('m4', 'y'), ok('m2', 'y')], decided: 'y', gold: 'y' }],
    expected: {
      m4: { decisive: 1, overruledRight: 0, agreedRight: 1, votes: 2 },
      m2: { decisive: 1, overruledRight: 0, agreedRight: 1, votes: 1 },
    },
  },
  {
    name: 'decided by another strategy: decisiveness is against majority, right/overruled against `decided`',
    decisions: [{ votes: [ok('m1', 'x'), ok('m2', 'x'), ok('m3', 'y')], decided: 'y', gold: 'y' }],
    expected: {
      m1: { ...zero, votes: 1 },
      m2: { ...zero, votes: 1 },
      m3: { decisive: 0, overruledRight: 0, agreedRight: 1, votes: 1 },
    },
  },
  {
    name: 'no decision (everyone failed): errors are not votes',
    decisions: [{ votes: [{ model: 'm1', label: null, status: 'error' }], decided: null, gold: 'x' }],
    expected: { m1: zero },
  },
  {
    name: 'sums over decisions',
    decisions: [
      { votes: [ok('m1', 'x'), ok('m2', 'x'), ok('m3', 'y')], decided: 'x', gold: 'x' },
      { votes: [ok('m1', 'x'), ok('m2', 'y'), ok('m3', 'x')], decided: 'x', gold: 'y' },
      { votes: [ok('m5', 'x')], decided: 'x', gold: null },
      { votes: [{ model: 'm1', label: null, status: 'timeout' }, ok('m2', 'z'), ok('m3', null)], decided: 'z', gold: 'z' },
      { votes: [ok('m4', 'x'), ok('m4', 'y'), ok('m2', 'y')], decided: 'y', gold: 'y' },
    ],
    expected: {
      m1: { decisive: 1, overruledRight: 0, agreedRight: 1, votes: 2 },
      m2: { decisive: 2, overruledRight: 1, agreedRight: 3, votes: 4 },
      m3: { decisive: 0, overruledRight: 0, agreedRight: 0, votes: 2 },
      m4: { decisive: 1, overruledRight: 0, agreedRight: 1, votes: 2 },
    },
  },
];

describe('contributions', () => {
  for (const row of rows) it(row.name, () => assert.deepEqual(contributions(row.decisions), row.expected));
});

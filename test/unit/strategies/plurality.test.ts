/**
 * The stacking features' plurality (strategies/tally.ts `plurality`, over one row of the vote
 * table) and the majority and weighted strategies share one tie rule: on the same votes they name
 * the same winner, ties and float sums included.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { majority } from '../../../daemon/strategies/majority';
import { plurality } from '../../../daemon/strategies/tally';
import { weighted } from '../../../daemon/strategies/weighted';
import { ok } from './helpers';

const labels = ['x', 'y', 'z'];
const members = ['A', 'B', 'C', 'D'];
const asVotes = (row: (string | null)[], weights?: number[]) => row.map((l, m) => ok(members[m]!, l, { weight: weights?.[m] ?? 1 }));

describe('plurality: one tie rule with the strategies', () => {
  const rows: [string, (string | null)[]][] = [
    ['clear winner', ['y', 'x', 'y', null]],
    ['two-way tie: the earliest supporter wins, not the label order', ['y', 'x', 'x', 'y']],
    ['abstentions do not count', [null, null, 'z', null]],
    ['everyone abstained', [null, null, null, null]],
  ];
  for (const [name, row] of rows)
    it(`${name} (same as majority)`, () => assert.equal(plurality(row), majority(asVotes(row), labels).label));

  const weightedRows: [string, (string | null)[], number[]][] = [
    ['weights outvote a count', ['x', 'y', 'y', null], [3, 1, 1, 1]],
    // 0.1 + 0.2 is 0.30000000000000004: a tie under the relative tolerance, so member order decides.
    ['float sums that are equal in exact arithmetic tie', ['y', 'x', 'x', 'y'], [0.3, 0.1, 0.2, 0]],
    // A difference of 1e-10 at a scale of 1 is below the tie tolerance (relative 1e-9).
    ['scores within the relative tolerance tie', ['x', 'y', null, null], [1, 1 + 1e-10, 1, 1]],
  ];
  for (const [name, row, weights] of weightedRows)
    it(`${name} (same as weighted)`, () => {
      const expected = weighted(asVotes(row, weights), labels).label;
      assert.equal(plurality(row, weights), expected);
    });

  it('the tie rule, spelled out: equal float sums go to the first member', () => {
    assert.equal(plurality(['y', 'x', 'x'], [0.3, 0.1, 0.2]), 'y');
    assert.equal(plurality(['x', 'y', null], [1, 1 + 1e-10, 1]), 'x');
  });

  it('`order` decides the tie instead of member order; not-asked members (undefined) do not count', () => {
    assert.equal(plurality(['x', 'y', undefined], undefined, [1, 0, 2]), 'y');
    assert.equal(plurality([undefined, undefined], undefined), null);
  });
});

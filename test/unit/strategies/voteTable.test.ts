/**
 * The one vote-table builder (strategies/voteTable.ts) and its three callers: recordings for
 * `ensemble eval`, the store's labelled votes for `ensemble fit`, and one live decision for the
 * engine's stacking. The same votes make the same table, whichever way they came in.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTable } from '../../../daemon/learning/aggregators/types';
import { itemsOf } from '../../../daemon/learning/fitAggregation';
import { buildVoteTable, voteRow } from '../../../daemon/strategies/voteTable';

const members = ['a', 'b', 'c'];

describe('buildVoteTable', () => {
  it('places votes by member, keeps abstentions (null) apart from members never asked (undefined)', () => {
    const t = buildVoteTable(members, [
      { item: 'i1', member: 'c', label: 'x', gold: 'x', category: 'law' },
      { item: 'i1', member: 'a', label: null },
      { item: 'i2', member: 'b', label: 'y', probabilities: { y: 0.8, x: 0.2 } },
      { item: 'i2', member: 'stranger', label: 'x' },
    ]);
    assert.deepEqual(t.models, members);
    assert.deepEqual(
      t.items.map((i) => [i.id, i.votes, i.confidences, i.gold, i.category]),
      [
        ['i1', [null, undefined, 'x'], [undefined, undefined, undefined], 'x', 'law'],
        ['i2', [undefined, 'y', undefined], [undefined, 0.8, undefined], null, null],
      ],
    );
  });

  it('a later vote of the same member on the same item replaces the earlier one', () => {
    const t = buildVoteTable(members, [
      { item: 'i1', member: 'a', label: 'x' },
      { item: 'i1', member: 'a', label: 'y' },
    ]);
    assert.deepEqual(t.items[0]?.votes, ['y', undefined, undefined]);
  });

  it('recordings (eval) and stored labelled votes (fit) make the same rows', () => {
    const stored = [
      { decisionId: 'd1', member: 'b', label: 'x', gold: 'x', category: 'law', text: 'q1' },
      { decisionId: 'd1', member: 'a', label: 'y', gold: 'x', category: 'law', text: 'q1' },
      { decisionId: 'd0', member: 'c', label: null, gold: 'y', category: null, text: null },
    ];
    const recordings = stored.map((v) => ({
      item: v.decisionId,
      model: v.member,
      prediction: v.label,
      gold: v.gold,
      ...(v.category !== null ? { category: v.category } : {}),
      ...(v.text !== null ? { text: v.text } : {}),
    }));
    const rows = (items: { id: string; votes: unknown[]; gold: string | null; category: string | null }[]) =>
      items.map((i) => [i.id, i.votes, i.gold, i.category]).sort((p, q) => String(p[0]).localeCompare(String(q[0])));
    assert.deepEqual(rows(itemsOf(members, stored)), rows(buildTable(recordings, members).items));
    assert.deepEqual(rows(itemsOf(members, stored)), [
      ['d0', [undefined, undefined, null], 'y', null],
      ['d1', ['y', 'x', undefined], 'x', 'law'],
    ]);
  });
});

describe('voteRow (one live decision)', () => {
  it('is the single row of the table over the same votes', () => {
    const cells = [
      { member: 'c', label: 'x' },
      { member: 'a', label: null },
    ];
    assert.deepEqual(voteRow(members, cells), [null, undefined, 'x']);
    assert.deepEqual(
      voteRow(members, cells),
      buildVoteTable(
        members,
        cells.map((c) => ({ ...c, item: 'live' })),
      ).items[0]?.votes,
    );
  });

  it('nobody asked: every member undefined', () => assert.deepEqual(voteRow(members, []), [undefined, undefined, undefined]));
});

/**
 * daemon/learning/diversityHints.ts: agreement, dissent and the plain-words hints, on vote tables
 * built so that every figure can be counted by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Item } from '../../../daemon/learning/aggregators/types';
import { itemsFromDecisions, summarizeDiversity } from '../../../daemon/learning/diversityHints';
import type { Decision, Vote } from '../../../protocol/ensemble';

/** Items from rows of votes ("-" = not asked, "0" = abstained) and a gold column ("?" = none). */
function table(rows: Array<[string, ...string[]]>): Item[] {
  return rows.map(([gold, ...votes], k) => ({
    id: `i${k}`,
    category: null,
    gold: gold === '?' ? null : gold,
    votes: votes.map((v) => (v === '-' ? undefined : v === '0' ? null : v)),
    confidences: [],
    probabilities: [],
  }));
}

const repeat = <T>(n: number, row: T): T[] => Array.from({ length: n }, () => row);

interface Row {
  name: string;
  members: string[];
  items: Item[];
  agreement?: Array<[number, number, number | null]>;
  dissent?: Record<string, { dissents: number; votes: number; right: number | null }>;
  hints: RegExp[];
  notHints?: RegExp[];
}

// 25 items, gold first, then A, B, C: B copies A but once; C dissents on 6 items and is right on 4 of them.
const copyAndDissent = table([
  ...repeat(14, ['x', 'x', 'x', 'x'] as [string, ...string[]]),
  ['y', 'y', 'x', 'y'],
  ...repeat(4, ['y', 'y', 'y', 'y'] as [string, ...string[]]),
  ...repeat(2, ['x', 'x', 'x', 'y'] as [string, ...string[]]),
  ...repeat(4, ['z', 'x', 'x', 'z'] as [string, ...string[]]),
]);

const rows: Row[] = [
  {
    name: 'a copy adds nothing; the dissenter is named with how often it is right when it dissents',
    members: ['A', 'B', 'C'],
    items: copyAndDissent,
    agreement: [
      [0, 1, 24 / 25],
      [0, 2, 19 / 25],
      [1, 2, 18 / 25],
      [0, 0, 1],
    ],
    dissent: { C: { dissents: 6, votes: 25, right: 4 / 6 } },
    hints: [
      /^B agrees with A on 96 % of items and adds nothing: drop it or replace it with a different model\.$/,
      /^C disagrees most \(with the others on 24 % of items\) and is right 67 % of the time when it does: it adds diversity the vote can use/,
    ],
  },
  {
    name: 'prompt variants of one model that agree are called out as such',
    members: ['qwen', 'qwen#stepByStep', 'phi'],
    items: table([
      ...repeat(12, ['?', 'a', 'a', 'b'] as [string, ...string[]]),
      ...repeat(3, ['?', 'b', 'b', 'b'] as [string, ...string[]]),
    ]),
    hints: [/^qwen#stepByStep agrees with qwen \(another prompt of the same model\) on 100 % of items: the prompt variant adds nothing/],
    // Without gold, the dissenter's hint asks for feedback instead of guessing.
    notHints: [/is right \d/],
  },
  {
    name: 'without gold the dissenter hint asks for feedback',
    members: ['A', 'B', 'C'],
    items: table([
      ...repeat(8, ['?', 'a', 'b', 'a'] as [string, ...string[]]),
      ...repeat(4, ['?', 'a', 'a', 'b'] as [string, ...string[]]),
    ]),
    dissent: { B: { dissents: 8, votes: 12, right: null } },
    hints: [
      /^B disagrees most \(with the others on 67 % of items\); give feedback on decisions to learn whether it is right when it does\.$/,
    ],
  },
  {
    name: 'members never asked together have no agreement, and too few items say so',
    members: ['A', 'B'],
    items: table([
      ['a', 'a', '-'],
      ['a', '-', 'a'],
    ]),
    agreement: [[0, 1, null]],
    hints: [/^Too few decisions \(2\) to judge which members add diversity: at least 10 are needed\.$/],
  },
  {
    name: 'an abstention is a vote that differs; members that differ everywhere make no redundancy hint',
    members: ['A', 'B'],
    items: table(repeat(10, ['a', 'a', '0'] as [string, ...string[]])),
    agreement: [[0, 1, 0]],
    hints: [/^A disagrees most \(with the others on 100 % of items\) and is right 100 % of the time when it does/],
    notHints: [/adds nothing/],
  },
  {
    name: 'independent members with the same errors are flagged, distinct ones are not',
    members: ['A', 'B', 'C'],
    items: table([
      ...repeat(6, ['a', 'a', 'a', 'a'] as [string, ...string[]]),
      ...repeat(3, ['a', 'b', 'c', 'a'] as [string, ...string[]]),
      ...repeat(3, ['a', 'a', 'a', 'd'] as [string, ...string[]]),
    ]),
    hints: [/^A and B make the same mistakes \(error correlation 1\.00\)/],
    notHints: [/A and C make/, /adds nothing/],
  },
];

describe('summarizeDiversity', () => {
  for (const row of rows) {
    it(row.name, () => {
      const s = summarizeDiversity(row.items, row.members);
      for (const [i, j, a] of row.agreement ?? []) {
        if (a === null) assert.equal(s.agreement[i]![j], null);
        else assert.ok(Math.abs(s.agreement[i]![j]! - a) < 1e-9, `agreement ${i},${j} = ${s.agreement[i]![j]}, expected ${a}`);
      }
      for (const [member, d] of Object.entries(row.dissent ?? {})) {
        const got = s.dissent.find((x) => x.member === member)!;
        assert.deepEqual({ dissents: got.dissents, votes: got.votes }, { dissents: d.dissents, votes: d.votes });
        if (d.right === null) assert.equal(got.rightWhenDissenting, null);
        else assert.ok(Math.abs(got.rightWhenDissenting! - d.right) < 1e-9, `right when dissenting ${got.rightWhenDissenting}`);
      }
      for (const re of row.hints)
        assert.ok(
          s.hints.some((h) => re.test(h)),
          `no hint matches ${re}:\n${s.hints.join('\n')}`,
        );
      for (const re of row.notHints ?? []) assert.ok(!s.hints.some((h) => re.test(h)), `unexpected hint ${re}:\n${s.hints.join('\n')}`);
    });
  }

  it('one member alone gets no hints', () => {
    assert.deepEqual(summarizeDiversity(table(repeat(20, ['a', 'a'] as [string, ...string[]])), ['A']).hints, []);
  });
});

describe('itemsFromDecisions', () => {
  const vote = (member: string, status: Vote['status'], label: string | null): Vote => ({
    member,
    model: member.split('#')[0]!,
    promptStyle: 'direct',
    status,
    label,
    confidence: null,
    rawConfidence: null,
    confidenceSource: 'none',
    probabilities: {},
    weight: 1,
    latencyMs: 5,
  });
  it('answered votes count (an abstention as null), failed or skipped members count as not asked', () => {
    const decision = {
      id: 'd1',
      votes: [vote('a', 'ok', 'x'), vote('b', 'ok', null), vote('c', 'timeout', null), vote('d', 'skipped', null)],
    } as unknown as Decision;
    const [item] = itemsFromDecisions([{ decision, gold: 'x' }], ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(item!.votes, ['x', null, undefined, undefined, undefined]);
    assert.equal(item!.gold, 'x');
  });
});

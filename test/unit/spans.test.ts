/** Span voting, table-tested: alignment to the input, normalization, quorum, overlaps. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locate, neededVotes, normalizeWithMap, spanKey, voteSpans, type MemberSpans } from '../../daemon/tasks/spans';

const at = (input: string, text: string) => locate(normalizeWithMap(input), text).map((p) => input.slice(p.start, p.end));

describe('span normalization and alignment', () => {
  const TABLE: Array<[string, string, string[]]> = [
    ['Ada Lovelace met Babbage.', 'ada lovelace', ['Ada Lovelace']],
    ['Ada  Lovelace met Babbage.', 'Ada Lovelace', ['Ada  Lovelace']],
    ['Ada Lovelace met Babbage.', 'ADA\tLOVELACE', ['Ada Lovelace']],
    ['Ada Lovelace met Babbage.', 'Babbage.', ['Babbage']],
    ['Ada Lovelace met Babbage.', '"Babbage"', ['Babbage']],
    ['Adam met Ada.', 'Ada', ['Ada']], // not inside "Adam"
    ['Jean-Luc Picard', 'Jean Luc Picard', ['Jean-Luc Picard']],
    ['ＡＣＭＥ Corp. (fullwidth)', 'ACME Corp', ['ＡＣＭＥ Corp']], // NFKC
    ['Café Müller and CAFÉ MÜLLER', 'café müller', ['Café Müller', 'CAFÉ MÜLLER']], // every occurrence
    ["O'Brien said no", 'OBrien', ["O'Brien"]],
    ['Paris, France', 'London', []],
    ['in 2024 and 2024', '2024', ['2024', '2024']],
  ];
  for (const [input, span, expected] of TABLE) {
    it(`${JSON.stringify(span)} in ${JSON.stringify(input)}`, () => assert.deepEqual(at(input, span), expected));
  }

  it('keys ignore case, spacing, punctuation and Unicode form', () => {
    assert.equal(spanKey('  Ada   LOVELACE. '), 'ada lovelace');
    assert.equal(spanKey('ﬁne'), 'fine');
    assert.equal(spanKey('...'), '');
  });
});

describe('span voting', () => {
  const input = 'Ada Lovelace worked with Charles Babbage in London; ada lovelace wrote the notes.';
  const members: MemberSpans[] = [
    {
      member: 'a',
      spans: [
        { type: 'person', text: 'Ada Lovelace' },
        { type: 'person', text: 'Charles Babbage' },
        { type: 'location', text: 'London' },
      ],
    },
    {
      member: 'b',
      spans: [
        { type: 'Person', text: 'ADA LOVELACE' },
        { type: 'person', text: 'Babbage' },
        { type: 'location', text: 'London.' },
        { type: 'person', text: 'Ada Lovelace' },
      ],
    },
    {
      member: 'c',
      spans: [
        { type: 'person', text: 'ada  lovelace' },
        { type: 'person', text: 'Charles  Babbage' },
        { type: 'city', text: 'London' },
        { type: 'person', text: 'Grace Hopper' },
      ],
    },
  ];

  it('majority: every occurrence of an agreed name, with who found it; a member listing a span twice votes once', () => {
    const v = voteSpans(input, ['person', 'location'], members);
    assert.equal(v.needed, 2);
    assert.deepEqual(
      v.kept.map((s) => [s.type, input.slice(s.start, s.end), s.members.join('')]),
      [
        ['person', 'Ada Lovelace', 'abc'],
        ['person', 'Charles Babbage', 'ac'],
        ['location', 'London', 'ab'],
        ['person', 'ada lovelace', 'abc'],
      ],
    );
    assert.deepEqual(
      v.rejected.map((s) => [s.text, s.members.join('')]),
      [['Babbage', 'b']],
    );
    // "city" was not asked for and "Grace Hopper" is not in the text.
    assert.deepEqual(v.unaligned, { a: 0, b: 0, c: 2 });
  });

  it('overlapping spans: the better supported wins, then the longer', () => {
    const overlap = voteSpans(
      'Charles Babbage',
      ['person'],
      [
        { member: 'a', spans: [{ type: 'person', text: 'Babbage' }] },
        { member: 'b', spans: [{ type: 'person', text: 'Babbage' }] },
        { member: 'c', spans: [{ type: 'person', text: 'Charles Babbage' }] },
      ],
      0.3,
    );
    assert.deepEqual(
      overlap.kept.map((s) => s.text),
      ['Babbage'],
    );
    assert.deepEqual(
      overlap.rejected.map((s) => s.text),
      ['Charles Babbage'],
    );
    const tie = voteSpans(
      'Charles Babbage',
      ['person'],
      [
        { member: 'a', spans: [{ type: 'person', text: 'Babbage' }] },
        { member: 'b', spans: [{ type: 'person', text: 'Charles Babbage' }] },
      ],
      0.5,
    );
    assert.deepEqual(
      tie.kept.map((s) => s.text),
      ['Charles Babbage'],
    );
  });

  it('the same text with two types is two spans that overlap: the better supported type wins', () => {
    const v = voteSpans(
      'Washington signed it.',
      ['person', 'location'],
      [
        { member: 'a', spans: [{ type: 'person', text: 'Washington' }] },
        { member: 'b', spans: [{ type: 'person', text: 'Washington' }] },
        { member: 'c', spans: [{ type: 'location', text: 'Washington' }] },
      ],
      0.3,
    );
    assert.deepEqual(
      v.kept.map((s) => [s.type, s.members.length]),
      [['person', 2]],
    );
    assert.deepEqual(
      v.rejected.map((s) => s.type),
      ['location'],
    );
  });

  it('quorum: share of the members that answered', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => neededVotes(n)),
      [1, 2, 2, 3, 3],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => neededVotes(n, 1)),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => neededVotes(n, 0.5)),
      [1, 1, 2, 2, 3],
    );
    assert.equal(neededVotes(3, 2 / 3), 2);
    const all = voteSpans(input, ['person', 'location'], members, 1);
    assert.deepEqual(
      all.kept.map((s) => s.text),
      ['Ada Lovelace', 'ada lovelace'],
    );
  });

  it('no members, no spans', () => {
    assert.deepEqual(voteSpans(input, ['person'], []).kept, []);
  });
});

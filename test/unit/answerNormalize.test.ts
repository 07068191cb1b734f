/** Answer normalization, table-tested: what different members write for one answer becomes one string. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeAnswer } from '../../daemon/tasks/answerNormalize';

const SAME: Array<[string, string[]]> = [
  // case, articles, punctuation, markup, preambles
  [
    'paris',
    [
      'Paris',
      'paris.',
      'PARIS!',
      '**Paris**',
      '"Paris"',
      'The answer is Paris',
      'Answer: Paris',
      'Final answer: Paris.',
      'Paris\nbecause it is the capital',
    ],
  ],
  ['beatles', ['The Beatles', 'Beatles', 'the beatles.']],
  ['usa', ['U.S.A.', 'USA', 'u.s.a']],
  ['marie curie', ['Marie Curie', 'marie  curie', 'Marie Curie.']],
  // numbers, including numbers written as words
  ['21', ['21', 'twenty-one', 'Twenty one', '21.0', 'It is 21.']],
  ['105', ['one hundred and five', '105', 'One hundred five']],
  ['1234', ['1,234', '1234', '1 234', 'one thousand two hundred thirty-four']],
  ['3000000', ['3 million', 'three million', '3,000,000']],
  ['12 apostles', ['twelve apostles', 'the 12 apostles']],
  // units
  ['5 km', ['5 km', '5 kilometres', 'five kilometers', '5 kms', '5.0 km']],
  ['50%', ['50%', '50 percent', 'fifty per cent', '50 pct']],
  ['100 °c', ['100 °C', '100 degrees Celsius', 'one hundred celsius']],
  ['5 usd', ['$5', '5 dollars', '$5.00', 'five US dollars']],
  // dates in several formats
  [
    '2024-03-05',
    ['2024-03-05', '5 March 2024', 'March 5, 2024', 'March 5th, 2024', 'the 5th of March 2024', 'Mar. 5 2024', '03/05/2024', '5.3.2024'],
  ],
  ['2024-05-13', ['13/05/2024', '05/13/2024', '13 May 2024']],
  ['1969-07', ['July 1969', 'jul 1969']],
];

const DIFFERENT: Array<[string, string]> = [
  ['21', '22'],
  ['5 km', '5 mi'],
  ['1 2', '3'], // "one two" is two numbers, not their sum
  ['2024-03-05', '2024-05-03'],
];

describe('answer normalization', () => {
  for (const [expected, forms] of SAME) {
    it(`${forms.map((f) => JSON.stringify(f)).join(', ')} -> ${expected}`, () => {
      for (const f of forms) assert.equal(normalizeAnswer(f), expected, `from ${JSON.stringify(f)}`);
    });
  }

  it('answers that differ stay different', () => {
    assert.equal(normalizeAnswer('one two'), '1 2');
    for (const [a, b] of DIFFERENT) assert.notEqual(normalizeAnswer(a), normalizeAnswer(b));
  });

  it('an impossible date is not a date', () => {
    assert.notEqual(normalizeAnswer('31 February 2024'), normalizeAnswer('2024-03-02'));
  });

  it('nothing left is null', () => {
    for (const f of ['', '  ', '"."', '**']) assert.equal(normalizeAnswer(f), null, JSON.stringify(f));
  });

  describe('with options from the question', () => {
    const options = ['Mercury', 'Venus', 'Earth', 'Mars'];
    const TABLE: Array<[string, string]> = [
      ['B', 'venus'],
      ['(b)', 'venus'],
      ['b)', 'venus'],
      ['B. Venus', 'venus'],
      ['Option B', 'venus'],
      ['venus', 'venus'],
      ['It is Venus.', 'venus'],
      ['The planet Venus', 'venus'],
      ['d', 'mars'],
      ['Pluto', 'pluto'],
    ];
    for (const [answer, expected] of TABLE) {
      it(`${JSON.stringify(answer)} -> ${expected}`, () => assert.equal(normalizeAnswer(answer, { options }), expected));
    }

    it('numeric options match numbers written as words', () => {
      assert.equal(normalizeAnswer('twenty-one', { options: ['19', '21', '22'] }), '21');
      assert.equal(normalizeAnswer('c', { options: ['19', '21', '22'] }), '22');
    });

    it('an answer naming two options maps to neither', () => {
      assert.equal(normalizeAnswer('Venus or Mars', { options }), 'venus or mars');
    });
  });
});

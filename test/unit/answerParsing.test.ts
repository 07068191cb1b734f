/** daemon/backends/answerParsing.ts: labels and verbalized confidences out of free text, and the probability helpers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  argmaxLabel,
  matchLabel,
  normalizeDistribution,
  parseVerbalizedConfidence,
  softmaxLogprobs,
} from '../../daemon/backends/answerParsing';

const tickets = ['bug', 'feature', 'question'];
const banking = ['card', 'card arrival', 'card payment fee charged', 'cash withdrawal'];

describe('matchLabel', () => {
  const rows: Array<[string, string, readonly string[], string | null]> = [
    ['the whole text is a label', 'bug', tickets, 'bug'],
    ['case and surrounding space do not matter', '  Feature\n', tickets, 'feature'],
    ['quotes, emphasis, a full stop', '**"Question".**', tickets, 'question'],
    ['backticks and brackets', '`[bug]`', tickets, 'bug'],
    [
      'an "Answer:" line wins over labels mentioned earlier',
      'This is not a bug, it asks for a feature.\nAnswer: question',
      tickets,
      'question',
    ],
    ['"The answer is X"', 'The answer is feature', tickets, 'feature'],
    ['"Answer - X"', 'Answer - bug', tickets, 'bug'],
    ['"answer: **X**" with emphasis', 'answer: **feature**', tickets, 'feature'],
    ['the first label mentioned when there is no answer line', 'Looks like a feature request, maybe a bug.', tickets, 'feature'],
    ['whole words only: "debugging" is not "bug"', 'I was debugging it, and I have a question', tickets, 'question'],
    ['whole words only: "features" is not "feature"', 'many features', tickets, null],
    ['no label named: abstains', 'I cannot tell.', tickets, null],
    ['empty text', '', tickets, null],
    ['a multi-word label over its one-word prefix at the same place', 'It is about card arrival times.', banking, 'card arrival'],
    ['the exact multi-word label', 'card payment fee charged', banking, 'card payment fee charged'],
    ['an earlier one-word label beats a later longer one', 'card, not cash withdrawal', banking, 'card'],
    ['underscores, hyphens and spaces are the same', 'Answer: cash-withdrawal', banking, 'cash withdrawal'],
    ['a label written with underscores', 'card arrival', ['card_arrival', 'card'], 'card_arrival'],
    ['returns the label as configured, not as written', 'ANSWER: BUG', ['Bug', 'Feature'], 'Bug'],
    ['an answer line that names no label falls back to the whole text', 'Answer: unsure\nbut probably a bug', tickets, 'bug'],
    ['labels with regex characters are matched literally', 'Answer: c++', ['c++', 'c#', 'java'], 'c++'],
    ['a label with a regex metacharacter does not match other text', 'cxx', ['c++', 'c.x'], null],
    ['labels with an apostrophe', "Answer: won't fix", ['bug', "won't fix"], "won't fix"],
    ['a label with an apostrophe as the whole answer', "Won't fix.", ['bug', "won't fix"], "won't fix"],
    ['labels with a dot', 'Answer: v2.0', ['v1.0', 'v2.0'], 'v2.0'],
    ['a label in parentheses in the label set', 'other', ['bug', 'other (misc)'], null],
    ['...and named in full', 'Answer: other (misc)', ['bug', 'other (misc)'], 'other (misc)'],
  ];
  for (const [name, text, labels, expected] of rows) {
    it(`${name}: ${JSON.stringify(text)} -> ${JSON.stringify(expected)}`, () => assert.equal(matchLabel(text, labels), expected));
  }
});

describe('parseVerbalizedConfidence', () => {
  const rows: Array<[string, number | null]> = [
    ['Confidence: 0.8', 0.8],
    ['confidence 0.75', 0.75],
    ['Confidence=0.9', 0.9],
    ['CONFIDENCE: 1', 1],
    ['Confidence: 0', 0],
    ['confidence: 80%', 0.8],
    ['confidence: 80 %', 0.8],
    ['Confidence: 8/10', 0.8],
    ['Confidence: 8 / 10', 0.8],
    ['Confidence: 85/100', 0.85],
    ['Confidence: 85', 0.85],
    ['Answer: bug\nConfidence: 0.65.', 0.65],
    ['Answer: bug (confidence: 90%)', 0.9],
    ['Confidence: 150', null],
    ['Confidence: 120%', null],
    ['Confidence: 11/10', null],
    ['Confidence: high', null],
    ['no number here', null],
    ['', null],
    ['I am 90% sure', null],
  ];
  for (const [text, expected] of rows) {
    it(`${JSON.stringify(text)} -> ${expected}`, () => {
      const v = parseVerbalizedConfidence(text);
      if (expected === null) assert.equal(v, null);
      else assert.ok(v !== null && Math.abs(v - expected) < 1e-12, `got ${v}`);
    });
  }
});

describe('normalizeDistribution', () => {
  it('scales to sum 1', () => {
    assert.deepEqual(normalizeDistribution({ a: 1, b: 3 }), { a: 0.25, b: 0.75 });
  });
  it('negative scores count as 0', () => {
    assert.deepEqual(normalizeDistribution({ a: -2, b: 1, c: 1 }), { a: 0, b: 0.5, c: 0.5 });
  });
  it('all zero, all negative or empty: an empty map', () => {
    assert.deepEqual(normalizeDistribution({ a: 0, b: 0 }), {});
    assert.deepEqual(normalizeDistribution({ a: -1 }), {});
    assert.deepEqual(normalizeDistribution({}), {});
  });
  it('NaN counts as 0', () => {
    assert.deepEqual(normalizeDistribution({ a: Number.NaN, b: 1 }), { a: 0, b: 1 });
    assert.deepEqual(normalizeDistribution({ a: Number.NaN }), {});
  });
});

describe('softmaxLogprobs', () => {
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

  it('is the softmax', () => {
    const r = softmaxLogprobs({ a: Math.log(0.2), b: Math.log(0.6), c: Math.log(0.2) });
    assert.ok(Math.abs(r.a! - 0.2) < 1e-12 && Math.abs(r.b! - 0.6) < 1e-12 && Math.abs(r.c! - 0.2) < 1e-12, JSON.stringify(r));
  });

  it('renormalizes log-probabilities that do not sum to 1 (scores of a label subset)', () => {
    const r = softmaxLogprobs({ a: Math.log(0.01), b: Math.log(0.03) });
    assert.ok(Math.abs(r.a! - 0.25) < 1e-12 && Math.abs(r.b! - 0.75) < 1e-12);
  });

  it('is stable for very negative values', () => {
    const r = softmaxLogprobs({ a: -1000, b: -1001, c: -5000 });
    assert.ok(Math.abs(sum(r) - 1) < 1e-12);
    assert.ok(Math.abs(r.a! - 1 / (1 + Math.exp(-1))) < 1e-12);
    assert.equal(r.c, 0);
  });

  it('a -Infinity label gets 0; all -Infinity gives an empty map', () => {
    assert.deepEqual(softmaxLogprobs({ a: 0, b: Number.NEGATIVE_INFINITY }), { a: 1, b: 0 });
    assert.deepEqual(softmaxLogprobs({ a: Number.NEGATIVE_INFINITY, b: Number.NEGATIVE_INFINITY }), {});
  });

  it('equal scores are uniform; no scores, an empty map', () => {
    assert.deepEqual(softmaxLogprobs({ a: -3, b: -3 }), { a: 0.5, b: 0.5 });
    assert.deepEqual(softmaxLogprobs({}), {});
  });
});

describe('argmaxLabel', () => {
  it('the most probable label', () => {
    assert.equal(argmaxLabel({ bug: 0.2, feature: 0.5, question: 0.3 }, tickets), 'feature');
  });
  it('ties go to the earlier label in `labels`, whatever the map order', () => {
    assert.equal(argmaxLabel({ question: 0.5, feature: 0.5 }, tickets), 'feature');
    assert.equal(argmaxLabel({ question: 0.5, feature: 0.5 }, ['question', 'feature']), 'question');
  });
  it('labels missing from the map count as 0; keys outside `labels` are ignored', () => {
    assert.equal(argmaxLabel({ question: 0.1, other: 0.9 }, tickets), 'question');
  });
  it('no positive probability: null (an abstention)', () => {
    assert.equal(argmaxLabel({}, tickets), null);
    assert.equal(argmaxLabel({ bug: 0, feature: 0 }, tickets), null);
    assert.equal(argmaxLabel({ bug: 1 }, []), null);
  });
});

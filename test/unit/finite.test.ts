/** nonFiniteNumber: the path of the first number JSON cannot carry, or null. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nonFiniteNumber } from '../../common/finite';

describe('nonFiniteNumber', () => {
  const rows: Array<[string, unknown, string | null]> = [
    ['a finite number', 0.5, null],
    ['NaN at the top', NaN, 'decision'],
    ['strings, booleans and null are not numbers', { a: 'NaN', b: true, c: null }, null],
    ['a nested object', { votes: [{ confidence: 0.2 }, { probabilities: { bug: Infinity } }] }, 'decision.votes.1.probabilities.bug'],
    ['the first one found, in key order', { a: { x: -Infinity }, b: NaN }, 'decision.a.x'],
    [
      'an array of arrays',
      [
        [1, 2],
        [3, NaN],
      ],
      'decision.1.1',
    ],
    ['deeper than 8 levels is not walked', { a: { b: { c: { d: { e: { f: { g: { h: { i: { j: NaN } } } } } } } } } }, null],
    ['inherited keys are not walked', Object.create({ inherited: NaN }) as unknown, null],
  ];
  for (const [name, value, expected] of rows) it(name, () => assert.equal(nonFiniteNumber(value), expected));

  it('names the root it is given', () => assert.equal(nonFiniteNumber({ spans: [{ score: NaN }] }, 'extract'), 'extract.spans.0.score'));
});

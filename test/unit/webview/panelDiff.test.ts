/** The side-by-side view's highlighting: words no other panel answer holds, case and punctuation aside. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { panelDiff } from '../../../common/panelDiff';

describe('panelDiff', () => {
  it('marks the words only one answer uses, keeping the text and its spacing whole', () => {
    const [a, b] = panelDiff(['Paris is the capital.', 'The capital is Lyon']);
    assert.deepEqual(a, [
      { text: 'Paris', unique: true },
      { text: ' is the capital.', unique: false },
    ]);
    assert.deepEqual(b, [
      { text: 'The capital is ', unique: false },
      { text: 'Lyon', unique: true },
    ]);
    assert.equal(a!.map((r) => r.text).join(''), 'Paris is the capital.');
  });

  it('marks nothing with a single answer, and an empty answer (a failed member) differs from nothing', () => {
    assert.deepEqual(panelDiff(['alone here']), [[{ text: 'alone here', unique: false }]]);
    const [ok, failed] = panelDiff(['yes', '']);
    assert.deepEqual(ok, [{ text: 'yes', unique: true }]);
    assert.deepEqual(failed, []);
  });
});

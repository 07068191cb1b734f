/** Judge-free scores of recorded generations: normalized exact match, token F1, and firstSuccess replayed over a compare panel. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateGenerations, exactMatch, tokenF1 } from '../../daemon/learning/tasks/generationEval';
import { compareResult, panelAnswer as answer } from './generationFixtures';

const compare = (panel: Parameters<typeof compareResult>[1]) => compareResult('g', panel);

describe('generation scores', () => {
  it('exact match ignores case, punctuation, articles and spacing', () => {
    assert.ok(exactMatch('  The Capital:  PARIS! ', 'capital paris'));
    assert.ok(!exactMatch('Paris, France', 'Paris'));
  });

  it('token F1 is the harmonic mean of word precision and recall', () => {
    assert.equal(tokenF1('paris france', 'paris'), 2 / 3);
    assert.equal(tokenF1('lyon', 'paris'), 0);
    assert.equal(tokenF1('', ''), 1);
    assert.equal(tokenF1('paris paris', 'paris'), 2 / 3, 'a repeated word counts once per occurrence in the gold');
  });

  it('scores each member of a compare panel and firstSuccess replayed in order, with its calls; nothing without gold', () => {
    const panel = [answer('a', 'error', ''), answer('b', 'ok', 'Lyon'), answer('c', 'ok', 'Paris')];
    const report = evaluateGenerations([
      { result: compare(panel), gold: 'Paris' },
      { result: compare(panel), gold: null },
    ])!;
    assert.equal(report.withGold, 1);
    const row = (name: string) => report.rows.find((r) => r.name === name)!;
    assert.deepEqual([row('member a').exact, row('member b').exact, row('member c').exact], [0, 0, 1]);
    assert.deepEqual(row('firstSuccess (replayed, in order)'), {
      name: 'firstSuccess (replayed, in order)',
      items: 1,
      exact: 0,
      similarity: 0,
      calls: 2,
    });
    assert.equal(
      report.rows.some((r) => r.name === 'compare'),
      false,
      'compare synthesizes nothing to score',
    );
    assert.equal(evaluateGenerations([{ result: compare(panel), gold: null }]), null);
  });
});

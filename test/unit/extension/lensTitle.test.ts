/** The code lens title the extension shows over a classified range (lensTitle.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Decision, Vote } from '../../../protocol/ensemble';
import { lensTitle } from '../../../extension/lensTitle';
import { decisionOf, voteOf } from '../../support/decisions';

describe('lensTitle', () => {
  const vote = (member: string, label: string | null, status: Vote['status'] = 'ok'): Vote =>
    voteOf(member, label, {
      status,
      confidence: label ? 0.8 : null,
      rawConfidence: label ? 0.8 : null,
      probabilities: label ? { [label]: 0.8 } : {},
    });
  const decision = (over: Partial<Decision>): Decision =>
    decisionOf('d', { confidence: 0.912, agreement: 2 / 3, votes: [vote('a', 'bug'), vote('b', 'bug'), vote('c', 'feature')], ...over });

  it('label, confidence, and how many of the members that voted agree', () => {
    assert.equal(lensTitle(decision({})), 'bug · 0.91 · 2/3 agree');
  });

  it('counts only members that voted, and says partial and early exit', () => {
    const votes = [vote('a', 'bug'), vote('b', null, 'timeout'), vote('c', null, 'skipped')];
    const d = decision({ votes, partial: true, earlyExit: true });
    assert.equal(lensTitle(d), 'bug · 0.91 · 1/1 agree · partial · early exit');
  });

  it('says when there is no decision', () => {
    const none = decision({ label: null, votes: [vote('a', null, 'error'), vote('b', null, 'timeout')] });
    assert.equal(lensTitle(none), 'no decision · 0/2 voted');
  });
});

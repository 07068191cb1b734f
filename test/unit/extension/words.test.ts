/** What the extension says to people: error wording by kind (errorMessages.ts) and the code lens title (lensTitle.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Decision, Vote } from '../../../protocol/ensemble';
import { EnsembleError } from '../../../protocol/errors';
import { describeError, errorKind, UserFacingError } from '../../../extension/errorMessages';
import { lensTitle } from '../../../extension/lensTitle';

describe('describeError', () => {
  it('words each error kind in one place, with actions', () => {
    const unavailable = describeError(new EnsembleError('ModelUnavailable', 'tiny-b2 is missing its file'));
    assert.equal(unavailable.message, 'A model is unavailable: tiny-b2 is missing its file. Open the pool status?');
    assert.deepEqual(
      unavailable.actions.map((a) => a.command),
      ['ensemble.showPoolStatus', 'ensemble.openConfig'],
    );
    assert.equal(describeError(new EnsembleError('RequestCancelled', 'cancelled')).severity, 'silent');
    const gaveUp = describeError(new UserFacingError('DaemonGaveUp', 'The Ensemble daemon crashed 5 times in 3 minutes.'));
    assert.deepEqual(
      gaveUp.actions.map((a) => a.title),
      ['Retry', 'Show Log'],
    );
    const unreachable = describeError(new EnsembleError('NotInitialized', 'port closed'));
    assert.equal(unreachable.message, 'Cannot reach the Ensemble daemon: port closed');
  });

  it('goes by the kind, never the text; anything unknown is "Unknown" with the log offered', () => {
    assert.equal(errorKind({ kind: 'Timeout', message: 'A model is unavailable' }), 'Timeout');
    assert.equal(errorKind({ kind: 'NoSuchKind' }), 'Unknown');
    assert.equal(errorKind('a string'), 'Unknown');
    const boom = describeError(new Error('boom'));
    assert.equal(boom.message, 'Ensemble: boom');
    assert.deepEqual(
      boom.actions.map((a) => a.command),
      ['ensemble.showLog'],
    );
  });
});

describe('lensTitle', () => {
  const vote = (member: string, label: string | null, status: Vote['status'] = 'ok'): Vote => ({
    member,
    model: member,
    promptStyle: 'direct',
    status,
    label,
    confidence: label ? 0.8 : null,
    rawConfidence: label ? 0.8 : null,
    confidenceSource: 'logprobs',
    probabilities: label ? { [label]: 0.8 } : {},
    weight: 1,
    latencyMs: 5,
  });
  const decision = (over: Partial<Decision>): Decision => ({
    id: 'd',
    ensemble: 'default',
    strategy: 'majority',
    labels: ['bug', 'feature'],
    label: 'bug',
    confidence: 0.912,
    agreement: 2 / 3,
    votes: [vote('a', 'bug'), vote('b', 'bug'), vote('c', 'feature')],
    partial: false,
    earlyExit: false,
    note: '',
    elapsedMs: 10,
    createdAt: '2026-01-01T00:00:00.000Z',
    inputHash: 'x',
    ...over,
  });

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

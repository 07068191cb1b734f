/** What the extension says to people about errors: wording by kind, in one place (errorMessages.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnsembleError } from '../../../protocol/errors';
import { describeError, errorKind, UserFacingError } from '../../../extension/errorMessages';

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

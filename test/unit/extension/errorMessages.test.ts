/** What the extension says to people about errors: wording by kind, in one place (errorMessages.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnsembleError, ErrorCodes, type ErrorKind } from '../../../protocol/errors';
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
    const early = describeError(new EnsembleError('NotInitialized', 'call "initialize" before "classify"'));
    assert.equal(early.message, 'The daemon was asked before the connection was set up: call "initialize" before "classify"');
  });

  it('says why the daemon cannot be used, one kind per cause, each with the action that fixes it', () => {
    const cases: Array<[ErrorKind, string, string[]]> = [
      ['DaemonNotRunning', 'The Ensemble daemon is not running: x', ['ensemble.startDaemon', 'ensemble.showLog']],
      ['DaemonStartFailed', 'The Ensemble daemon did not start: x', ['ensemble.showLog', 'ensemble.startDaemon']],
      ['ConnectionClosed', 'The connection to the Ensemble daemon closed: x', ['ensemble.restartDaemon', 'ensemble.showLog']],
      [
        'HandshakeRefused',
        'The Ensemble daemon refused the connection (is another program on its port?): x',
        ['ensemble.restartDaemon', 'ensemble.showLog'],
      ],
      ['ProtocolMismatch', 'The running Ensemble daemon is another version than the extension: x', ['ensemble.restartDaemon']],
      ['DaemonPathInvalid', 'Cannot start the Ensemble daemon: x', ['workbench.action.openSettings']],
      [
        'UntrustedWorkspace',
        'The daemon is not started from an untrusted workspace: x',
        ['workbench.trust.manage', 'workbench.action.openSettings'],
      ],
      ['SqliteUnavailable', 'The recordings database cannot be opened: x', ['ensemble.showLog']],
    ];
    for (const [kind, message, commands] of cases) {
      const user = describeError(new EnsembleError(kind, 'x'));
      assert.equal(user.message, message, kind);
      assert.equal(user.severity, 'error', kind);
      assert.deepEqual(
        user.actions.map((a) => a.command),
        commands,
        kind,
      );
    }
    const settings = describeError(new EnsembleError('DaemonPathInvalid', 'x')).actions[0];
    assert.deepEqual(settings?.args, ['ensemble.daemonPath'], 'the Settings editor opens on the daemon path');
  });

  it('gives every kind a wording of its own', () => {
    const messages = Object.keys(ErrorCodes).map((kind) => describeError(new EnsembleError(kind as ErrorKind, 'x')).message);
    assert.equal(new Set(messages).size, messages.length, messages.join('\n'));
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

import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Decision } from '../../protocol/ensemble';
import { EnsembleError } from '../../protocol/errors';
import type { Outcome } from '../../extension/context';
import { DaemonGaveUpError } from '../../extension/daemon/daemonManager';
import { describeError } from '../../extension/errorMessages';
import { closeAll, openWithSelection } from './helpers';

describe('error mapping', () => {
  afterEach(closeAll);

  it('words each error kind in one place, with actions', () => {
    const unavailable = describeError(new EnsembleError('ModelUnavailable', 'tiny-b2 is missing its file'));
    assert.equal(unavailable.message, 'A model is unavailable: tiny-b2 is missing its file. Open the pool status?');
    assert.deepEqual(unavailable.actions.map((a) => a.command), ['ensemble.showPoolStatus', 'ensemble.openConfig']);
    assert.equal(describeError(new EnsembleError('RequestCancelled', 'cancelled')).severity, 'silent');
    const gaveUp = describeError(new DaemonGaveUpError('The Ensemble daemon crashed 5 times in 3 minutes.'));
    assert.deepEqual(gaveUp.actions.map((a) => a.title), ['Retry', 'Show Log']);
    assert.match(describeError(new Error('boom')).message, /^Ensemble: boom$/);
    assert.match(describeError(new EnsembleError('NotInitialized', 'port closed')).message, /^Cannot reach the Ensemble daemon: port closed$/);
  });

  it('reports a daemon error by its kind (a missing ensemble), not by its text', async () => {
    await openWithSelection('Where is the documentation for the API?', (doc) => doc.lineAt(0).range);
    const outcome = await vscode.commands.executeCommand<Outcome<Decision>>('ensemble.classify', { ensemble: 'no-such-ensemble', labels: ['a', 'b'] });
    assert.equal(outcome.ok, false);
    if (!outcome.ok) {
      assert.equal(outcome.kind, 'EnsembleNotFound');
      assert.match(describeError(new EnsembleError('EnsembleNotFound', outcome.message)).message, /^No such ensemble: /);
    }
  });

  it('says what is wrong when there is nothing to classify', async () => {
    await openWithSelection('\n\n', (doc) => doc.lineAt(0).range);
    const outcome = await vscode.commands.executeCommand<Outcome<Decision>>('ensemble.classify');
    assert.deepEqual(outcome.ok ? 'ok' : outcome.kind, 'NoSelection');
  });
});

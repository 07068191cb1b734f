import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Decision } from '../../protocol/ensemble';
import { EnsembleError } from '../../protocol/errors';
import type { Outcome } from '../../extension/context';
import { describeError } from '../../extension/errorMessages';
import { closeAll, openWithSelection } from './helpers';

// The wording table itself is pure: test/unit/extension/errorMessages.test.ts.
describe('error mapping', () => {
  afterEach(closeAll);

  it('reports a daemon error by its kind (a missing ensemble), not by its text', async () => {
    await openWithSelection('Where is the documentation for the API?', (doc) => doc.lineAt(0).range);
    const outcome = await vscode.commands.executeCommand<Outcome<Decision>>('ensemble.classify', {
      ensemble: 'no-such-ensemble',
      labels: ['a', 'b'],
    });
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

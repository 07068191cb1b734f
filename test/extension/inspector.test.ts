import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Decision } from '../../protocol/ensemble';
import type { Outcome } from '../../extension/context';
import { api, closeAll, openWithSelection, waitFor } from './helpers';

function inspectorTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('ensemble.inspector'));
}

describe('inspector', () => {
  after(closeAll);

  it('opens the inspector panel on a decision, once', async () => {
    const ensemble = await api();
    await openWithSelection('Please add a dark mode to the settings page.', (doc) => doc.lineAt(0).range);
    const outcome = await vscode.commands.executeCommand<Outcome<Decision>>('ensemble.classify');
    assert.ok(outcome.ok);
    await vscode.commands.executeCommand('ensemble.openInspector', outcome.value.id);
    await waitFor('the inspector tab', () => inspectorTabs().length === 1);
    assert.equal(inspectorTabs()[0]!.label, 'Ensemble Inspector');
    await waitFor('the inspector to be visible', () => ensemble.inspectorVisible());
    // Opening it again reveals the same panel rather than a second one.
    await vscode.commands.executeCommand('ensemble.openInspector');
    assert.equal(inspectorTabs().length, 1);
  });
});
// The inspector's state and reducer are pure: test/unit/webview/model.test.ts.

import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Decision } from '../../protocol/ensemble';
import type { Outcome } from '../../extension/context';
import type { Vote } from '../../protocol/ensemble';
import { ToWebview } from '../../protocol/webview';
import { apply, initialModel } from '../../webview/model';
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

describe('inspector state', () => {
  const vote = (member: string, label: string): Vote => ({
    member, model: member, promptStyle: 'direct', status: 'ok', label, confidence: 0.9, rawConfidence: 0.9,
    confidenceSource: 'logprobs', probabilities: { [label]: 0.9 }, weight: 1, latencyMs: 5,
  });

  it('shows votes as they arrive, then the decision in their place', () => {
    const base = { decisionId: 'd1', labels: ['bug', 'feature'], members: [{ member: 'a', model: 'a', promptStyle: 'direct' }, { member: 'b', model: 'b', promptStyle: 'direct' }], total: 2 };
    let m = initialModel(undefined);
    m = apply(m, ToWebview.parse({ type: 'pending', pending: { ...base, votes: [vote('a', 'bug')], done: 1 } }));
    assert.equal(m.focus, 'd1');
    assert.equal(m.pending[0]?.votes.length, 1);
    m = apply(m, ToWebview.parse({ type: 'pending', pending: { ...base, votes: [vote('a', 'bug'), vote('b', 'bug')], done: 2 } }));
    assert.equal(m.pending.length, 1);
    assert.equal(m.pending[0]?.done, 2);
    const decision = {
      id: 'd1', ensemble: 'default', strategy: 'majority', labels: ['bug', 'feature'], label: 'bug', confidence: 1, agreement: 1,
      votes: [vote('a', 'bug'), vote('b', 'bug')], partial: false, earlyExit: false, note: '', elapsedMs: 10,
      createdAt: new Date().toISOString(), inputHash: 'x',
    };
    m = apply(m, ToWebview.parse({ type: 'decision', view: { decision }, focus: true }));
    assert.equal(m.pending.length, 0);
    assert.equal(m.decisions[0]?.decision.id, 'd1');
  });

  it('refuses malformed messages (the page validates what it is sent)', () => {
    assert.equal(ToWebview.safeParse({ type: 'pending', pending: { decisionId: 1 } }).success, false);
    assert.equal(ToWebview.safeParse({ type: 'script', html: '<script>' }).success, false);
  });
});

import assert from 'node:assert/strict';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PoolStatus } from '../../protocol/methods';
import type { Outcome } from '../../extension/context';
import type { RefineOutcome } from '../../extension/commands/refine';
import type { GenerationResult } from '../../protocol/generation';
import { ensembleHome } from '../../common/node/home';
import fs from 'node:fs';
import os from 'node:os';
import { evaluate } from '../../daemon/learning/evaluate';
import { reportHtml } from '../../daemon/learning/reportHtml';
import { withReportCsp } from '../../extension/commands/openReport';
import { closeAll, openWithSelection, waitFor } from './helpers';

describe('commands', () => {
  afterEach(closeAll);

  it('refines the selection, shows the diff, and replaces the selection when accepted', async function () {
    this.timeout(120_000);
    const editor = await openWithSelection('first line\nhello world the fun\nlast line', (doc) => doc.lineAt(1).range);
    // Every diff tab that opens while the command runs (an event, so no polling and no timing).
    const diffsOpened: vscode.TabInputTextDiff[] = [];
    const sub = vscode.window.tabGroups.onDidChangeTabs((e) => {
      for (const t of e.opened) if (t.input instanceof vscode.TabInputTextDiff) diffsOpened.push(t.input);
    });
    let outcome: Outcome<RefineOutcome>;
    try {
      outcome = await vscode.commands.executeCommand<Outcome<RefineOutcome>>('ensemble.refine', { accept: true });
    } finally {
      sub.dispose();
    }
    assert.ok(outcome.ok, outcome.ok ? '' : `${outcome.kind}: ${outcome.message}`);
    const { result, accepted } = outcome.value;
    assert.equal(result.original, 'hello world the fun');
    assert.ok(result.steps.length >= 1, 'at least one refinement step');
    // The tiny test models never echo their input, so there is always a change to accept.
    assert.notEqual(result.text, result.original);
    assert.equal(diffsOpened.length, 1, 'the refinement was shown as a diff');
    assert.equal(diffsOpened[0]!.modified.scheme, 'ensemble-refine');
    assert.equal(accepted, true);
    assert.equal(editor.document.getText(), `first line\n${result.text}\nlast line`);
    // The diff was closed after the decision.
    const diffs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff);
    assert.equal(diffs.length, 0);
  });

  it('compares the selection across the members, side by side, and fuses their answers with a judge', async function () {
    this.timeout(180_000);
    await openWithSelection('first line\nthe app crashes on save\nlast line', (doc) => doc.lineAt(1).range);
    const compared = await vscode.commands.executeCommand<Outcome<GenerationResult | null>>('ensemble.compare');
    assert.ok(compared.ok, compared.ok ? '' : `${compared.kind}: ${compared.message}`);
    const panel = compared.value!.panel;
    assert.equal(compared.value!.prompt, 'the app crashes on save');
    assert.ok(panel.length >= 2, 'every member of the ensemble answered');
    assert.ok(
      panel.every((a) => a.status === 'ok'),
      panel.map((a) => `${a.member}: ${a.status}`).join(', '),
    );
    const fused = await vscode.commands.executeCommand<Outcome<GenerationResult | null>>('ensemble.fuse', {
      prompt: 'the app crashes on save',
    });
    assert.ok(fused.ok, fused.ok ? '' : `${fused.kind}: ${fused.message}`);
    assert.equal(fused.value!.judge?.status, 'ok');
    assert.deepEqual(
      fused.value!.judge?.shown,
      panel.map((a) => a.member),
    );
  });

  it('shows the pool status', async () => {
    const outcome = await vscode.commands.executeCommand<Outcome<PoolStatus>>('ensemble.showPoolStatus');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.ok(outcome.ok);
    assert.deepEqual(
      outcome.value.models.map((m) => m.state),
      ['ready', 'ready', 'ready'],
    );
  });

  it('opens ENSEMBLE_HOME/config.json', async () => {
    const outcome = await vscode.commands.executeCommand<Outcome<string>>('ensemble.openConfig');
    assert.ok(outcome.ok);
    assert.equal(outcome.value, path.join(ensembleHome(), 'config.json'));
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, outcome.value);
    assert.equal(vscode.window.activeTextEditor?.document.languageId, 'json');
  });

  it('opens an `ensemble eval --html` report in a script-less webview', async () => {
    const recordings = ['a', 'b', 'c'].flatMap((model, m) =>
      Array.from({ length: 12 }, (_, i) => ({ item: `q${i}`, model, gold: i % 2 ? 'x' : 'y', prediction: (i + m) % 3 ? 'x' : 'y' })),
    );
    const html = reportHtml(evaluate(recordings, { trainFraction: 0 }), 'test report');
    const file = path.join(os.tmpdir(), `ensemble-report-${process.pid}.html`);
    fs.writeFileSync(file, html);
    const outcome = await vscode.commands.executeCommand<Outcome<string>>('ensemble.openReport', file);
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.message);
    // The tab appears once the workbench has created the panel.
    const reportTab = () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputWebview && /Ensemble Report: ensemble-report-/.test(t.label));
    await waitFor('the report tab', reportTab);
    assert.match(
      withReportCsp(html),
      /<head[^>]*><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;">/,
    );
    const missing = await vscode.commands.executeCommand<Outcome<string>>('ensemble.openReport', '/nonexistent/report.html');
    assert.equal(missing.ok, false);
  });
});

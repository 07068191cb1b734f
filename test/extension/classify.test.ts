import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Decision } from '../../protocol/ensemble';
import type { Outcome } from '../../extension/context';
import { lensTitle } from '../../extension/lensTitle';
import { api, closeAll, daemonConnection, lensTitles, openWithSelection, waitFor } from './helpers';

const TEXT = ['Notes from the triage meeting', '', 'The app crashes when I click save.', 'Everything else works.'].join('\n');

async function classifyLine2(): Promise<{ editor: vscode.TextEditor; decision: Decision }> {
  const editor = await openWithSelection(TEXT, (doc) => doc.lineAt(2).range);
  const outcome = await vscode.commands.executeCommand<Outcome<Decision>>('ensemble.classify');
  assert.ok(outcome.ok, `classify failed: ${outcome.ok ? '' : `${outcome.kind}: ${outcome.message}`}`);
  return { editor, decision: outcome.value };
}

describe('classify and code lens', () => {
  afterEach(closeAll);

  it("classifies the selection and puts a lens over it whose title matches the daemon's decision", async () => {
    const ensemble = await api();
    const { editor, decision } = await classifyLine2();
    // The daemon's own record of the decision, read over a separate connection.
    const conn = await daemonConnection();
    let stored: Decision | undefined;
    try {
      stored = (await conn.rpc.request('decisions/recent', { limit: 20 })).find((d) => d.id === decision.id);
    } finally {
      conn.close();
    }
    assert.ok(stored, 'the daemon recorded the decision');
    assert.equal(stored.label, 'bug');
    assert.equal(stored.votes.length, 3);
    const lenses = await waitFor('a lens', async () => {
      const l = await lensTitles(editor.document.uri);
      return l.length ? l : undefined;
    });
    assert.equal(lenses.length, 1);
    assert.equal(lenses[0]!.line, 2);
    assert.equal(lenses[0]!.title, lensTitle(stored));
    assert.match(lenses[0]!.title, /^bug · 0\.\d\d · 2\/3 agree$/);
    assert.deepEqual(lenses[0]!.args, [decision.id]);
    assert.ok(
      ensemble.decisions().some((d) => d.decision.id === decision.id),
      'the inspector store has it',
    );
  });

  it('moves the lens with an edit above the classified text', async () => {
    const ensemble = await api();
    const { editor } = await classifyLine2();
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), 'A new first line\nand a second one\n'));
    const results = ensemble.lenses(editor.document.uri);
    assert.equal(results.length, 1);
    assert.equal(results[0]!.range.start.line, 4);
    assert.equal(editor.document.getText(results[0]!.range), 'The app crashes when I click save.');
    const lenses = await lensTitles(editor.document.uri);
    assert.equal(lenses[0]?.line, 4);
    // An edit below leaves it where it is.
    await editor.edit((b) => b.insert(new vscode.Position(5, 0), 'appended\n'));
    assert.equal(ensemble.lenses(editor.document.uri)[0]?.range.start.line, 4);
  });

  it('clears the lens when the classified text itself is edited', async () => {
    const ensemble = await api();
    const { editor } = await classifyLine2();
    assert.equal(ensemble.lenses(editor.document.uri).length, 1);
    await editor.edit((b) => b.insert(new vscode.Position(2, 8), 'sometimes '));
    assert.equal(ensemble.lenses(editor.document.uri).length, 0);
    assert.equal((await lensTitles(editor.document.uri)).length, 0);
  });

  it('keeps the pool view current from pool/changed, without a status read per classification', async function () {
    this.timeout(60_000);
    const ensemble = await api();
    await waitFor('the pool view', () => ensemble.pool());
    const conn = await daemonConnection();
    try {
      const status = () => conn.rpc.request('pool/status', {});
      const served = (s: { statusReads?: number }) => (s.statusReads ?? Number.NaN) - 1; // not counting the read that asks
      const requests = (models: ReadonlyArray<{ requests: number }>) => models.reduce((n, m) => n + m.requests, 0);
      const first = await status();
      for (let i = 0; i < 4; i++) await classifyLine2();
      // The view learns of the new counts from the changes alone (the old code read the status for them).
      await waitFor('the view counting the classifications', () => requests(ensemble.pool()?.models ?? []) >= requests(first.models) + 4);
      const last = await status();
      assert.equal(served(last) - served(first), 1, 'only our own first read: the extension read nothing for 4 classifications');
    } finally {
      conn.close();
    }
  });
});

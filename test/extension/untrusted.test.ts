/**
 * An untrusted workspace never gets to run its own program as the daemon. This suite runs in a window
 * of its own (runExtensionHostTests.mjs): workspace trust enabled, the folder not trusted, no daemon
 * running in ENSEMBLE_HOME, and the user's `ensemble.daemonPath` naming a script inside the folder
 * (ENSEMBLE_UNTRUSTED_SCRIPT) that would leave a marker file (ENSEMBLE_UNTRUSTED_MARKER) if run.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { readDaemonFile } from '../../client/daemonClient';
import { ensembleHome } from '../../common/node/home';
import type { Outcome } from '../../extension/context';
import { api } from './helpers';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this suite through test/e2e/runExtensionHostTests.mjs`);
  return v;
}

describe('untrusted workspace', () => {
  it('the window really is untrusted, and the daemon path the user set lies inside the folder', () => {
    assert.equal(vscode.workspace.isTrusted, false, 'workspace trust must be on and the folder untrusted for this suite');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'a folder is open');
    const configured = vscode.workspace.getConfiguration('ensemble').get<string>('daemonPath');
    assert.equal(configured, required('ENSEMBLE_UNTRUSTED_SCRIPT'));
    assert.ok(path.resolve(configured).startsWith(folder + path.sep), `${configured} is inside ${folder}`);
  });

  it('Start Daemon is refused, naming the setting, and the script never runs', async function () {
    this.timeout(60_000);
    await api();
    const outcome = await vscode.commands.executeCommand<Outcome<{ pid: number | null }>>('ensemble.startDaemon');
    assert.equal(outcome.ok, false, 'the launch must be refused');
    if (outcome.ok) return;
    assert.equal(outcome.kind, 'UntrustedWorkspace');
    assert.match(outcome.message, /ensemble\.daemonPath points inside the untrusted workspace/);
    assert.equal(fs.existsSync(required('ENSEMBLE_UNTRUSTED_MARKER')), false, 'the workspace script was not executed');
    assert.equal(readDaemonFile(ensembleHome()), null, 'no daemon was started');
    const ensemble = await api();
    assert.notEqual(ensemble.connectionState(), 'connected');
  });
});

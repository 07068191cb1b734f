import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { StrategyName } from '../../protocol/ensemble';
import { api, packageJson, waitFor } from './helpers';

interface Contributed {
  commands: Array<{ command: string; title: string; category?: string }>;
  configuration: { properties: Record<string, { scope?: string; enum?: string[] }> };
}

describe('activation', () => {
  it('activates, joins the running daemon and shows the pool in the status bar', async () => {
    const ensemble = await api();
    await waitFor('a connection and a pool status', () => ensemble.connectionState() === 'connected' && ensemble.pool());
    const pool = ensemble.pool()!;
    assert.equal(pool.models.length, 3);
    await waitFor('the status bar text', () => ensemble.statusBarText() === '$(pulse) Ensemble: 3/3 models');
  });

  it('registers every contributed command, each in category "Ensemble"', async () => {
    const contributes = packageJson().contributes as Contributed;
    const registered = new Set(await vscode.commands.getCommands(true));
    const expected = [
      'ensemble.classify',
      'ensemble.refine',
      'ensemble.compare',
      'ensemble.fuse',
      'ensemble.openInspector',
      'ensemble.showPoolStatus',
      'ensemble.startDaemon',
      'ensemble.stopDaemon',
      'ensemble.restartDaemon',
      'ensemble.openConfig',
    ];
    const declared = contributes.commands.map((c) => c.command);
    for (const id of expected) assert.ok(declared.includes(id), `${id} is contributed`);
    for (const c of contributes.commands) {
      assert.equal(c.category, 'Ensemble', `${c.command} has category Ensemble`);
      assert.ok(registered.has(c.command), `${c.command} is registered`);
    }
  });

  it('declares setting scopes: what names a program or path is machine scope and restricted when untrusted', () => {
    const pkg = packageJson();
    const props = (pkg.contributes as Contributed).configuration.properties;
    for (const key of ['ensemble.nodePath', 'ensemble.daemonPath', 'ensemble.home']) assert.equal(props[key]?.scope, 'machine', key);
    for (const key of ['ensemble.labels', 'ensemble.ensemble', 'ensemble.strategy']) {
      assert.ok(['resource', 'window'].includes(props[key]?.scope ?? ''), `${key} is resource or window scope`);
    }
    // The strategy setting offers exactly the daemon's strategies (plus "" for the ensemble's own).
    assert.deepEqual(props['ensemble.strategy']?.enum, ['', ...StrategyName.options]);
    const trust = (pkg.capabilities as { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } })
      .untrustedWorkspaces;
    assert.equal(trust.supported, 'limited');
    assert.deepEqual([...trust.restrictedConfigurations].sort(), ['ensemble.daemonPath', 'ensemble.home', 'ensemble.nodePath']);
    // The host agrees: a machine-scope setting written to the workspace is not what the extension reads.
    const inspected = vscode.workspace.getConfiguration('ensemble').inspect('nodePath');
    assert.equal(inspected?.defaultValue, '');
  });
});

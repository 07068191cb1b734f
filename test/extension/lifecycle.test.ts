import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { isAlive, readDaemonFile } from '../../client/daemonClient';
import type { Outcome } from '../../extension/context';
import { ensembleHome } from '../../common/node/home';
import { api, waitFor } from './helpers';

// The backoff and crash policies themselves are pure: test/unit/extension/policy.test.ts.
describe('daemon lifecycle', () => {
  it('restarts a crashed daemon and reconnects', async function () {
    this.timeout(90_000);
    const ensemble = await api();
    await waitFor('a connection', () => ensemble.connectionState() === 'connected');
    const before = readDaemonFile(ensembleHome());
    assert.ok(before);
    process.kill(before.pid, 'SIGKILL'); // a crash: daemon.json stays behind
    await waitFor('the daemon to die', () => !isAlive(before.pid));
    const after = await waitFor(
      'a new daemon',
      () => {
        const info = readDaemonFile(ensembleHome());
        return info && info.pid !== before.pid ? info : undefined;
      },
      60_000,
    );
    await waitFor(
      'the reconnection and pool',
      () => ensemble.connectionState() === 'connected' && ensemble.pool()?.pid === after.pid,
      30_000,
    );
    // The status bar counts ready models only: the new daemon's models load again first.
    await waitFor('the models to be ready again', () => ensemble.statusBarText() === '$(pulse) Ensemble: 3/3 models', 30_000);
  });

  it('stops and starts the daemon on command', async function () {
    this.timeout(90_000);
    const ensemble = await api();
    const stopped = await vscode.commands.executeCommand<Outcome<{ pid: number | null }>>('ensemble.stopDaemon');
    assert.ok(stopped.ok);
    assert.equal(readDaemonFile(ensembleHome()), null);
    assert.equal(ensemble.connectionState(), 'stopped');
    const started = await vscode.commands.executeCommand<Outcome<{ pid: number | null }>>('ensemble.startDaemon');
    assert.ok(started.ok, started.ok ? '' : started.message);
    assert.equal(readDaemonFile(ensembleHome())?.pid, started.value.pid);
    await waitFor('the pool', () => ensemble.pool()?.pid === started.value.pid);
  });
});

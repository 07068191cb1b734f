import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { isAlive, readDaemonFile } from '../../client/daemonClient';
import type { Outcome } from '../../extension/context';
import { CrashPolicy, backoffDelay } from '../../extension/daemon/policy';
import { ensembleHome } from '../../protocol/home';
import { api, waitFor } from './helpers';

describe('daemon lifecycle', () => {
  it('backs off exponentially and gives up after N crashes in M minutes', () => {
    const delays = [0, 1, 2, 3, 10].map((a) => backoffDelay(a, { random: () => 0 }));
    assert.deepEqual(delays, [250, 500, 1000, 2000, 30_000]);
    const policy = new CrashPolicy(() => ({ maxCrashes: 3, windowMs: 60_000 }));
    assert.equal(policy.recordCrash(0), true);
    assert.equal(policy.recordCrash(1_000), true);
    assert.equal(policy.recordCrash(2_000), false, 'the third crash within a minute gives up');
    policy.reset();
    assert.equal(policy.recordCrash(100_000), true);
    assert.equal(policy.recordCrash(200_000), true, 'old crashes leave the window');
    assert.equal(policy.recordCrash(300_000), true);
  });

  it('restarts a crashed daemon and reconnects', async function () {
    this.timeout(90_000);
    const ensemble = await api();
    await waitFor('a connection', () => ensemble.connectionState() === 'connected');
    const before = readDaemonFile(ensembleHome());
    assert.ok(before);
    process.kill(before.pid, 'SIGKILL'); // a crash: daemon.json stays behind
    await waitFor('the daemon to die', () => !isAlive(before.pid));
    const after = await waitFor('a new daemon', () => {
      const info = readDaemonFile(ensembleHome());
      return info && info.pid !== before.pid ? info : undefined;
    }, 60_000);
    await waitFor('the reconnection and pool', () => ensemble.connectionState() === 'connected' && ensemble.pool()?.pid === after.pid, 30_000);
    assert.equal(ensemble.statusBarText(), '$(pulse) Ensemble: 3/3 models');
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

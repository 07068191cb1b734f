/**
 * The CLI as users meet it: `ensemble classify` starts a daemon when none runs and reuses it
 * afterwards, `ensemble stop` stops it, and bad arguments get a clear message and exit code 2.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAlive, readDaemonFile } from '../../client/daemonClient';
import { until } from '../support/until';
import { Decision } from '../../protocol/ensemble';
import { poolConfig, runCli, tempHome, tinyPool, writeConfig } from './harness';

describe('CLI: auto-start, reuse, stop, usage errors', () => {
  let home: string;
  const cli = (args: string[]) => runCli(home, args);

  before(() => {
    home = tempHome();
    writeConfig(home, poolConfig(tinyPool(home)));
  });
  after(() => {
    const info = readDaemonFile(home);
    if (info) process.kill(info.pid, 'SIGKILL');
  });

  it('classify starts a daemon when none runs, and the next call reuses it', async () => {
    assert.equal(readDaemonFile(home), null);
    const first = await cli(['classify', 'it crashes', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(Decision.parse(JSON.parse(first.stdout)).label, 'bug');
    const info = readDaemonFile(home);
    assert.ok(info && isAlive(info.pid), 'a daemon runs after the first call');
    const second = await cli(['status', '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal((JSON.parse(second.stdout) as { pid: number }).pid, info.pid);
  });

  it('usage errors exit 2 with the option named', async () => {
    const strategy = await cli(['classify', 'x', '--strategy', 'loudest']);
    assert.equal(strategy.code, 2);
    assert.match(strategy.stderr, /--strategy: expected one of majority, weighted, earlyExit, learned, routed, stacking, got "loudest"/);
    const labels = await cli(['classify', 'x', '--labels', 'only-one']);
    assert.equal(labels.code, 2);
    assert.match(labels.stderr, /--labels: give at least two/);
    const unknown = await cli(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  });

  it('an unknown ensemble is an error that lists the known ones', async () => {
    const r = await cli(['classify', 'x', '--ensemble', 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no ensemble named "nope" \(known: default/);
  });

  it('stop stops the daemon and removes daemon.json; a second stop says none runs', async () => {
    const info = readDaemonFile(home)!;
    const stop = await cli(['stop']);
    assert.equal(stop.code, 0, stop.stderr);
    await until('the stopped daemon to exit', async () => (isAlive(info.pid) ? undefined : true));
    assert.equal(fs.existsSync(path.join(home, 'daemon.json')), false);
    const again = await cli(['stop']);
    assert.match(again.stdout, /no daemon is running/);
  });
});

describe('CLI: two clients starting a daemon at the same moment', () => {
  it('both get an answer from the one daemon that wins the lock', async () => {
    const home = tempHome();
    writeConfig(home, poolConfig(tinyPool(home)));
    try {
      const [a, b] = await Promise.all([
        runCli(home, ['classify', 'it crashes', '--json']),
        runCli(home, ['classify', 'add a button', '--json']),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const info = readDaemonFile(home);
      assert.ok(info && isAlive(info.pid));
      // Exactly one daemon serves this home: the other start gave way (its lock attempt failed).
      const daemons = fs
        .readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            const env = fs.readFileSync(`/proc/${p}/environ`, 'utf8');
            const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
            return env.includes(`ENSEMBLE_HOME=${home}\u0000`) && cmd.includes('daemon');
          } catch {
            return false;
          }
        });
      assert.deepEqual(daemons, [String(info.pid)]);
    } finally {
      const info = readDaemonFile(home);
      if (info) process.kill(info.pid, 'SIGTERM');
    }
  });
});

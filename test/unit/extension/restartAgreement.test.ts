/**
 * How often the extension restarts a crashing daemon is said in three places: the settings'
 * defaults (package.json), the code's defaults (DAEMON_RESTART_DEFAULTS, which the settings fall back
 * to) and docs/extension.md. They must agree with what the policy really does, counted by driving it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CrashPolicy, DAEMON_RESTART_DEFAULTS } from '../../../common/restartPolicy';

const root = path.resolve(import.meta.dirname, '..', '..', '..');

interface Manifest {
  contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
}

/** Crashes one second apart until the policy gives up: how many of them were followed by a restart. */
function restartsBeforeGivingUp(maxCrashes: number, windowMinutes: number): number {
  const policy = new CrashPolicy(() => ({ maxCrashes, windowMs: windowMinutes * 60_000 }));
  let restarts = 0;
  for (let crash = 0; crash < 1_000 && policy.recordCrash(crash * 1_000); crash++) restarts++;
  return restarts;
}

describe('daemon restart count: code, settings and docs agree', () => {
  it('package.json declares the code defaults', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
    const props = manifest.contributes.configuration.properties;
    assert.equal(props['ensemble.restart.maxCrashes']?.default, DAEMON_RESTART_DEFAULTS.maxCrashes);
    assert.equal(props['ensemble.restart.windowMinutes']?.default, DAEMON_RESTART_DEFAULTS.windowMinutes);
  });

  it('the policy restarts maxCrashes - 1 times, then gives up', () => {
    const { maxCrashes, windowMinutes } = DAEMON_RESTART_DEFAULTS;
    assert.equal(restartsBeforeGivingUp(maxCrashes, windowMinutes), maxCrashes - 1);
    assert.equal(restartsBeforeGivingUp(1, windowMinutes), 0, 'maxCrashes 1: the first crash gives up');
  });

  it('docs/extension.md quotes the restarts, the window and the crash that stops them as the policy counts them', () => {
    const doc = fs.readFileSync(path.join(root, 'docs', 'extension.md'), 'utf8').replace(/\s+/g, ' ');
    const m = /restarts it if it crashes \(at most (\d+) times in (\d+) minutes: the (\d+)th crash in that window stops the restarts/.exec(
      doc,
    );
    assert.ok(m, 'docs/extension.md no longer says how often the daemon is restarted; update it and this test together');
    const { maxCrashes, windowMinutes } = DAEMON_RESTART_DEFAULTS;
    assert.deepEqual(m.slice(1).map(Number), [restartsBeforeGivingUp(maxCrashes, windowMinutes), windowMinutes, maxCrashes]);
  });
});

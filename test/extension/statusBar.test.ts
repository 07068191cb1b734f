import assert from 'node:assert/strict';
import type { PoolStatus } from '../../protocol/methods';
import { statusView } from '../../extension/statusBar';

/** A pool of three ready models; tests change what they are about. */
function pool(extra: Partial<PoolStatus> = {}): PoolStatus {
  const model = (id: string) => ({
    id,
    backend: 'llama.cpp',
    state: 'ready' as const,
    location: `/m/${id}.gguf`,
    weight: 1,
    requests: 0,
    failures: 0,
  });
  return {
    daemonVersion: '0.1.0',
    pid: 1,
    uptimeMs: 1,
    home: '/h',
    configPath: '/h/config.json',
    configError: null,
    defaultEnsemble: 'default',
    models: ['a', 'b', 'c'].map(model),
    ensembles: [],
    memory: { totalBytes: 1, freeBytes: 1, plannedBytes: 0 },
    ...extra,
  };
}

describe('status bar', () => {
  it('shows usable models, and warns when one is unavailable, the config is bad, or recording is in memory', () => {
    const healthy = statusView('connected', pool({ storage: { kind: 'sqlite', path: '/h/ensemble.db' } }));
    assert.equal(healthy.text, '$(pulse) Ensemble: 3/3 models');
    assert.equal(healthy.background, undefined);

    const degraded = pool();
    degraded.models[1] = { ...degraded.models[1]!, state: 'unavailable', reason: 'file missing' };
    const down = statusView('connected', degraded);
    assert.equal(down.text, '$(pulse) Ensemble: 2/3 models');
    assert.equal(down.background, 'warning');
    assert.match(down.tooltip, /b \(llama\.cpp\): unavailable — file missing/);

    assert.equal(statusView('connected', pool({ configError: 'config.json: models[0].id: …' })).background, 'warning');

    const slow = pool();
    const message =
      "c is consistently slow: replace it, give it a shorter timeout or lower its weight (p90 900 ms, 9.0x the others' 100 ms)";
    slow.models[2] = { ...slow.models[2]!, laggard: { p90Ms: 900, othersP90Ms: 100, policy: 'flag', message } };
    assert.ok(statusView('connected', slow).tooltip.includes(`$(watch) ${message}`));

    const memory = statusView('connected', pool({ storage: { kind: 'memory', reason: 'better-sqlite3 cannot be loaded under Electron' } }));
    assert.equal(memory.background, 'warning');
    assert.match(memory.tooltip, /Recording in memory only .*Electron/);
  });

  it('says when the daemon gave up after repeated crashes', () => {
    const v = statusView('gaveUp', null);
    assert.equal(v.background, 'error');
    assert.match(v.tooltip, /Ensemble: Start Daemon/);
  });
});

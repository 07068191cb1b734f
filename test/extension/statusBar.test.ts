import assert from 'node:assert/strict';
import type { PoolStatus } from '../../protocol/methods';
import { statusView } from '../../extension/statusBar';
import { poolStatusOf } from '../support/poolStatus';

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
  return poolStatusOf(['a', 'b', 'c'].map(model), extra);
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

  it('counts only ready models and says how far the downloads are', () => {
    const p = pool();
    p.models[1] = {
      ...p.models[1]!,
      state: 'downloading',
      download: { receivedBytes: 40, totalBytes: 100, awaitingApproval: false, path: '/m/b.gguf' },
    };
    p.models[2] = {
      ...p.models[2]!,
      state: 'downloading',
      download: { receivedBytes: 40, totalBytes: 100, awaitingApproval: false, path: '/m/c.gguf' },
    };
    const v = statusView('connected', p);
    assert.equal(v.text, '$(pulse) Ensemble: 1/3 models, 2 downloading 40%');
    assert.equal(v.background, 'warning');
  });

  it('warns when a configured GPU runtime is not used', () => {
    const v = statusView(
      'connected',
      pool({ gpuRuntime: { gpu: 'cpu', warning: 'the cuda runtime is missing from /h/runtime/x; models run on the CPU' } }),
    );
    assert.equal(v.background, 'warning');
    assert.match(v.tooltip, /GPU: the cuda runtime is missing/);
  });

  it('says when the daemon gave up after repeated crashes', () => {
    const v = statusView('gaveUp', null);
    assert.equal(v.background, 'error');
    assert.match(v.tooltip, /Ensemble: Start Daemon/);
  });
});

/** A `pool/status` answer for tests of what clients show: the given models, everything else neutral. */
import type { ModelStatus, PoolStatus } from '../../protocol/methods';

export function poolStatusOf(models: ModelStatus[], extra: Partial<PoolStatus> = {}): PoolStatus {
  return {
    daemonVersion: '0.1.0',
    pid: 1,
    uptimeMs: 1,
    home: '/h',
    configPath: '/h/config.json',
    configError: null,
    defaultEnsemble: 'default',
    models,
    ensembles: [],
    memory: { totalBytes: 1, freeBytes: 1, plannedBytes: 0 },
    ...extra,
  };
}

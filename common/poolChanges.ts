/**
 * Applying a `pool/changed` notification to a pool view in place (extension status bar, inspector,
 * any client): rows replace rows, and each ensemble's count of ready members follows the new model
 * states, as the daemon counts it. A `config` change cannot be applied: the caller reads the status again.
 */
import type { PoolChange, PoolStatus } from '../protocol/methods';

export type Applied = { kind: 'updated'; pool: PoolStatus } | { kind: 'reread'; reason: string };

export function applyPoolChanges(pool: PoolStatus, changes: readonly PoolChange[]): Applied {
  let next: PoolStatus = pool;
  for (const change of changes) {
    switch (change.kind) {
      case 'config':
        return { kind: 'reread', reason: change.reason };
      case 'member': {
        if (!next.models.some((m) => m.id === change.id))
          return { kind: 'reread', reason: `a model this view does not have: ${change.id}` };
        next = { ...next, models: next.models.map((m) => (m.id === change.id ? change.model : m)) };
        break;
      }
      case 'stats':
        next = {
          ...next,
          models: change.models,
          ...(change.diversity ? { diversity: change.diversity } : {}),
          ...(change.eventLoop ? { eventLoop: change.eventLoop } : {}),
        };
        break;
    }
  }
  return { kind: 'updated', pool: withReadyCounts(next) };
}

/** A member counts as ready when its model is ready or busy (the daemon's rule in `pool/status`). */
function withReadyCounts(pool: PoolStatus): PoolStatus {
  const ready = new Set(pool.models.filter((m) => m.state === 'ready' || m.state === 'busy').map((m) => m.id));
  return { ...pool, ensembles: pool.ensembles.map((e) => ({ ...e, ready: e.members.filter((m) => ready.has(m.model)).length })) };
}

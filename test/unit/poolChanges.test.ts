/**
 * `pool/changed` carries what changed: the daemon builds the changes from a window of hints
 * (daemon/changeBroadcast.ts), and clients apply them to their pool view (common/poolChanges.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPoolChanges } from '../../common/poolChanges';
import { changesFor } from '../../daemon/changeBroadcast';
import { notifications, type ModelStatus, type PoolStatus } from '../../protocol/methods';

function model(id: string, state: ModelStatus['state'], requests = 0): ModelStatus {
  return { id, backend: 'openai', state, location: 'http://127.0.0.1:9/v1', weight: 1, requests, failures: 0 };
}

function pool(models: ModelStatus[]): PoolStatus {
  return {
    daemonVersion: '0',
    pid: 1,
    uptimeMs: 0,
    home: '/h',
    configPath: '/h/config.json',
    configError: null,
    defaultEnsemble: 'default',
    models,
    ensembles: [
      {
        name: 'default',
        strategy: 'majority',
        members: models.map((m) => ({ member: m.id, model: m.id, promptStyle: 'plain' })),
        ready: models.filter((m) => m.state === 'ready').length,
      },
    ],
    memory: { totalBytes: 1, freeBytes: 1, plannedBytes: 0 },
  };
}

describe('pool changes: built by the daemon', () => {
  const status = {
    ...pool([model('a', 'ready', 3), model('b', 'loading')]),
    eventLoop: { meanMs: 1, p99Ms: 2, maxMs: 3, windowMs: 60_000 },
  };

  it('a config change is the only change of its window: clients read everything again', () => {
    assert.deepEqual(changesFor({ config: 'config reloaded', members: new Set(['a']), stats: true }, status), [
      { kind: 'config', reason: 'config reloaded' },
    ]);
  });

  it('member changes carry their rows (a model gone since is left out); stats carry every row and the loop delay', () => {
    const changes = changesFor({ config: null, members: new Set(['b', 'gone']), stats: true }, status);
    assert.deepEqual(changes, [
      { kind: 'member', id: 'b', model: status.models[1] },
      { kind: 'stats', models: status.models, eventLoop: status.eventLoop },
    ]);
    assert.ok(notifications['pool/changed'].safeParse({ reason: 'decision', changes }).success, 'the schema both ends check accepts them');
  });

  it('the schema refuses an unknown kind and a member change without its row', () => {
    const check = (changes: unknown) => notifications['pool/changed'].safeParse({ reason: 'x', changes }).success;
    assert.equal(check([{ kind: 'weather' }]), false);
    assert.equal(check([{ kind: 'member', id: 'a' }]), false);
    assert.equal(check([{ kind: 'config', reason: 'r' }]), true);
  });
});

describe('pool changes: applied by a client', () => {
  it('a member change replaces its row and the ensemble ready count follows the states', () => {
    const before = pool([model('a', 'ready'), model('b', 'loading')]);
    const applied = applyPoolChanges(before, [{ kind: 'member', id: 'b', model: model('b', 'busy') }]);
    assert.equal(applied.kind, 'updated');
    if (applied.kind !== 'updated') return;
    assert.deepEqual(
      applied.pool.models.map((m) => m.state),
      ['ready', 'busy'],
    );
    assert.equal(applied.pool.ensembles[0]!.ready, 2, 'busy counts as ready, as in the daemon');
    assert.equal(before.models[1]!.state, 'loading', 'the old view is not mutated');
  });

  it('a stats change replaces the rows, counters and loop delay included', () => {
    const loop = { meanMs: 0.5, p99Ms: 4, maxMs: 9, windowMs: 61_000 };
    const applied = applyPoolChanges(pool([model('a', 'ready', 1)]), [
      { kind: 'stats', models: [model('a', 'failed', 7)], eventLoop: loop },
    ]);
    assert.ok(applied.kind === 'updated');
    assert.equal(applied.pool.models[0]!.requests, 7);
    assert.deepEqual(applied.pool.eventLoop, loop);
    assert.equal(applied.pool.ensembles[0]!.ready, 0);
  });

  it('a config change, or a member the view does not know, asks for a fresh read', () => {
    const p = pool([model('a', 'ready')]);
    assert.deepEqual(applyPoolChanges(p, [{ kind: 'config', reason: 'config reloaded' }]), { kind: 'reread', reason: 'config reloaded' });
    assert.equal(applyPoolChanges(p, [{ kind: 'member', id: 'new', model: model('new', 'loading') }]).kind, 'reread');
  });
});

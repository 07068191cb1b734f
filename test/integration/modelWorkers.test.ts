/**
 * In-process models run in supervised worker processes (a real daemon, real llama.cpp workers on
 * generated GGUFs): files that abort llama.cpp cost their worker, never the daemon, and end
 * `failed` with the assertion as the reason; a SIGKILLed worker costs the votes in flight (as
 * `error`, at once) and the next request is served by its restarted worker; one request's
 * cancellation never fails another waiting on the same load.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DaemonConnection } from '../../client/daemonClient';
import type { ModelStatus } from '../../protocol/methods';
import { writeNativeCrashModels, type NativeCrashModel } from '../fixtures/gguf/crashModels';
import type { PoolModel } from '../fixtures/gguf/models';
import { LABELS, poolConfig, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';
import { isAlive } from '../../common/node/daemonFile';
import { until } from '../support/until';

describe('model workers', () => {
  let home: string;
  let models: PoolModel[];
  let crashers: NativeCrashModel[];
  let daemon: TestDaemon;
  let conn: DaemonConnection;

  const modelStatus = async (id: string): Promise<ModelStatus> => {
    const s = await conn.rpc.request('pool/status', {});
    const m = s.models.find((x) => x.id === id);
    assert.ok(m, `model ${id} in status`);
    return m;
  };

  before(async () => {
    home = tempHome();
    models = tinyPool(home);
    crashers = writeNativeCrashModels(path.join(home, 'crash'));
    const base = poolConfig(models);
    writeConfig(home, {
      ...base,
      models: [
        ...(base.models ?? []),
        ...crashers.map((c) => ({ id: `bad-${c.name}`, backend: 'llama.cpp', path: c.path, threads: 1, contextSize: 256 })),
      ],
      ensembles: {
        default: { members: models.map((m) => m.id), labels: LABELS, memberTimeoutMs: 60_000, deadlineMs: 120_000 },
        mixed: {
          members: [models[0]!.id, ...crashers.map((c) => `bad-${c.name}`)],
          labels: LABELS,
          memberTimeoutMs: 60_000,
          deadlineMs: 120_000,
        },
      },
    });
    daemon = await startTestDaemon(home);
    conn = await daemon.connect();
  });
  after(async () => {
    conn?.close();
    await daemon?.stop();
  });

  it('files that abort llama.cpp at load end `failed` with the assertion; the daemon keeps serving with the good models', async () => {
    for (const c of crashers) {
      const id = `bad-${c.name}`;
      const want = c.outcome === 'abort' ? 'failed' : 'unavailable';
      const m = await until(
        `${id} ${want}`,
        async () => {
          const s = await modelStatus(id);
          return s.state === want ? s : undefined;
        },
        240_000,
      );
      assert.match(m.reason ?? '', c.mentions, `${id}: ${m.reason}`);
      if (c.outcome === 'abort') assert.match(m.reason ?? '', /worker process killed by SIGABRT/);
    }
    assert.ok(isAlive(daemon.info.pid), 'the daemon survived every abort');
    const d = await conn.rpc.request('ensemble/classify', { text: 'The app crashes', ensemble: 'mixed' });
    const good = d.votes.find((v) => v.model === models[0]!.id);
    assert.equal(good?.status, 'ok');
    assert.equal(d.label, 'bug');
    for (const c of crashers) {
      const v = d.votes.find((x) => x.model === `bad-${c.name}`);
      assert.equal(v?.status, 'error', `${c.name}: ${JSON.stringify(v)}`);
      assert.equal(v?.error?.kind, 'ModelUnavailable');
    }
  });

  it('a failed model is tried again only when asked (pool/reload), and fails again the same way', async () => {
    const id = `bad-${crashers[0]!.name}`;
    const r = await conn.rpc.request('pool/reload', { model: id });
    assert.deepEqual(r.reloaded, [id]);
    const m = await until(
      `${id} failed again`,
      async () => {
        const s = await modelStatus(id);
        return s.state === 'failed' ? s : undefined;
      },
      240_000,
    );
    assert.match(m.reason ?? '', /GGML_ASSERT/);
    assert.ok(isAlive(daemon.info.pid));
  });

  it('a worker SIGKILLed mid-request costs that vote as `error` (not a timeout); the next request is served by a new worker', async () => {
    const target = models[0]!.id;
    await conn.rpc.request('ensemble/classify', { text: 'warm up' });
    const before = await modelStatus(target);
    assert.equal(before.state, 'ready');
    const pid = before.workerPid!;
    assert.ok(pid > 0 && pid !== daemon.info.pid);
    // Freeze the worker so the request is certainly in flight inside it, then kill it.
    process.kill(pid, 'SIGSTOP');
    const pending = conn.rpc.request('ensemble/classify', { text: 'The app crashes on save' });
    await until('the request to be in flight in the frozen worker', async () =>
      ((await modelStatus(target)).load?.inFlight ?? 0) > 0 ? true : undefined,
    );
    process.kill(pid, 'SIGKILL');
    const d = await pending;
    const vote = d.votes.find((v) => v.model === target);
    assert.equal(vote?.status, 'error', JSON.stringify(vote));
    assert.equal(vote?.error?.kind, 'BackendError');
    assert.match(vote?.error?.message ?? '', /worker process killed by SIGKILL/);
    assert.ok(d.votes.filter((v) => v.model !== target).every((v) => v.status === 'ok'));

    const again = await conn.rpc.request('ensemble/classify', { text: 'The app crashes on save' });
    assert.equal(again.votes.find((v) => v.model === target)?.status, 'ok');
    const after = await modelStatus(target);
    assert.ok(after.workerPid && after.workerPid !== pid, 'a new worker serves it');
    assert.equal(after.state, 'ready');
    // Where it runs, as status and the inspector show it: this machine has no GPU.
    assert.equal(after.runtime?.gpu, 'cpu');
    assert.equal(after.runtime?.layersOffloaded, 0);
    assert.equal(after.runtime?.vramBytes, 0);
  });

  it('cancelling one request while the model loads does not fail another waiting on the same load', async () => {
    const fresh = tinyPool(path.join(home, 'fresh'));
    const cfg = poolConfig(fresh);
    writeConfig(home, { ...cfg, ensembles: { default: { members: fresh.map((m) => m.id), labels: LABELS, memberTimeoutMs: 60_000 } } });
    assert.deepEqual(await conn.rpc.request('config/reload', {}), { ok: true, error: null });
    const cancel = new AbortController();
    const first = conn.rpc.request('ensemble/classify', { text: 'The app crashes' }, { signal: cancel.signal });
    const second = conn.rpc.request('ensemble/classify', { text: 'The app crashes' });
    // Cancel once the first request has started the load (a fresh model leaves 'idle').
    await until('the fresh models to start loading', async () =>
      (await Promise.all(fresh.map((m) => modelStatus(m.id)))).some((m) => m.state !== 'idle') ? true : undefined,
    );
    cancel.abort();
    await assert.rejects(first, (e: Error & { kind?: string }) => e.kind === 'RequestCancelled');
    const d = await second;
    assert.ok(
      d.votes.every((v) => v.status === 'ok'),
      JSON.stringify(d.votes),
    );
    assert.equal(d.label, 'bug');
  });
});

/**
 * Bad input gets a clear error and loses nothing: bad configs (the daemon keeps its last good one),
 * missing and corrupt model files, unreachable downloads, members that hang (deadline with partial
 * results), and cancellation. Through all of it the daemon keeps serving.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DaemonConnection } from '../../client/daemonClient';
import { EnsembleError } from '../../protocol/errors';
import { writeCorruptModels, type PoolModel } from '../fixtures/gguf/models';
import { startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';
import { LABELS, daemonLog, poolConfig, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';

describe('daemon resilience', () => {
  let home: string;
  let models: PoolModel[];
  let daemon: TestDaemon;
  let conn: DaemonConnection;
  let hanging: FakeOpenAiServer;

  before(async () => {
    home = tempHome();
    models = tinyPool(home);
    hanging = await startOpenAiServer({ models: ['slow'] });
    hanging.script({ hang: true });
    writeConfig(home, poolConfig(models));
    daemon = await startTestDaemon(home);
    conn = await daemon.connect();
  });
  after(async () => {
    conn?.close();
    await daemon?.stop();
    await hanging?.close();
  });

  async function reconfigure(config: unknown): Promise<{ ok: boolean; error: string | null }> {
    writeConfig(home, config);
    return conn.rpc.request('config/reload', {});
  }

  it('a config with a schema error is refused with file, JSON path and expectation; the last good one stays', async () => {
    const bad = poolConfig(models) as { models: Array<Record<string, unknown>> };
    bad.models[1]!.backend = 'llama';
    bad.models[2]!.threads = 'many';
    const r = await reconfigure(bad);
    assert.equal(r.ok, false);
    assert.match(r.error!, new RegExp(`${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/config\\.json: models\\[1\\]`));
    assert.match(r.error!, /got "llama"/);
    const status = await conn.rpc.request('pool/status', {});
    assert.equal(status.configError, r.error);
    const d = await conn.rpc.request('ensemble/classify', { text: 'still working?' });
    assert.equal(d.votes.length, 3);
    assert.ok(d.votes.every((v) => v.status === 'ok'));
  });

  it('a config with a JSON syntax error names the line and column', async () => {
    fs.writeFileSync(path.join(home, 'config.json'), '{\n  "models": [\n    {"id": "a",, }\n  ]\n}\n');
    const r = await conn.rpc.request('config/reload', {});
    assert.equal(r.ok, false);
    assert.match(r.error!, /config\.json:3:\d+: not valid JSON/);
  });

  it('a member naming an unknown model is refused with the known ids', async () => {
    const cfg = poolConfig(models);
    cfg.ensembles = { default: { members: [models[0]!.id, 'ghost'], labels: LABELS } };
    const r = await reconfigure(cfg);
    assert.equal(r.ok, false);
    assert.match(r.error!, /ensembles\.default\.members\[1\]: no model with id "ghost"/);
  });

  it('missing and corrupt model files: clear status and errors, and the daemon survives llama.cpp-killing files', async () => {
    const corrupt = writeCorruptModels(path.join(home, 'corrupt'));
    const cfg = {
      models: [
        { id: 'gone', backend: 'llama.cpp', path: path.join(home, 'nope.gguf') },
        ...corrupt.map((c) => ({ id: `bad-${c.name}`, backend: 'llama.cpp', path: c.path })),
      ],
      ensembles: { default: { members: ['gone', ...corrupt.map((c) => `bad-${c.name}`)], labels: LABELS } },
    };
    assert.equal((await reconfigure(cfg)).ok, true);
    await assert.rejects(
      conn.rpc.request('ensemble/classify', { text: 'hello' }),
      (e: unknown) => e instanceof EnsembleError && e.kind === 'ModelUnavailable' && /gone/.test(e.message) && /nope\.gguf/.test(e.message),
    );
    const status = await conn.rpc.request('pool/status', {});
    const gone = status.models.find((m) => m.id === 'gone')!;
    assert.equal(gone.state, 'unavailable');
    assert.match(gone.reason ?? '', /nope\.gguf/);
    assert.ok(gone.hint, 'an unavailable model comes with a hint of what to set');
    for (const c of corrupt) {
      const m = status.models.find((x) => x.id === `bad-${c.name}`)!;
      assert.equal(m.state, 'unavailable', `${c.name}: ${m.reason}`);
      assert.match(m.reason ?? '', new RegExp(c.mentions, 'i'));
    }
    assert.equal((await conn.rpc.request('pool/status', {})).pid, daemon.info.pid);
  });

  it('a model whose download fails (offline) is unavailable with the reason and what to set', async () => {
    const cfg = {
      models: [{ id: 'remote', backend: 'llama.cpp', path: 'remote.gguf', url: 'http://127.0.0.1:9/remote.gguf' }],
      ensembles: { default: { members: ['remote'], labels: LABELS } },
    };
    assert.equal((await reconfigure(cfg)).ok, true);
    const error = await conn.rpc.request('ensemble/classify', { text: 'x' }).then(
      () => null,
      (e: unknown) => e as EnsembleError,
    );
    assert.equal(error?.kind, 'ModelUnavailable');
    const status = await conn.rpc.request('pool/status', {});
    const m = status.models[0]!;
    assert.equal(m.state, 'unavailable');
    assert.match(m.reason ?? '', /cannot download http:\/\/127\.0\.0\.1:9\/remote\.gguf/);
    assert.match(m.hint ?? '', /remote\.gguf/);
  });

  it('a hanging member times out; the decision is made from the votes that arrived, marked partial', async () => {
    const cfg = poolConfig(models);
    cfg.models = [...(cfg.models ?? []), { id: 'slow', backend: 'openai', baseUrl: `${hanging.origin}/v1`, model: 'slow' }];
    cfg.ensembles = { default: { members: [...models.map((m) => m.id), 'slow'], labels: LABELS, memberTimeoutMs: 1_500 } };
    assert.equal((await reconfigure(cfg)).ok, true);
    // Loading the in-process models does not count against the member timeout: load them first.
    await conn.rpc.request('ensemble/classify', { text: 'load the models' });
    // The slow member never answers: that the request returns at all, with this member's own
    // timeout named in its vote, shows the member timeout cut it off (no clock needed).
    const d = await conn.rpc.request('ensemble/classify', { text: 'it crashes' });
    assert.deepEqual(
      d.votes.map((v) => v.status),
      ['ok', 'ok', 'ok', 'timeout'],
    );
    assert.equal(d.votes[3]!.error?.kind, 'Timeout');
    assert.equal(d.partial, true);
    assert.equal(d.label, 'bug');
    assert.match(d.votes[3]!.error?.message ?? '', /no answer within 1500 ms/);
  });

  it('the whole-request deadline cuts members short', async () => {
    const d = await conn.rpc.request('ensemble/classify', { text: 'it crashes', deadlineMs: 800 });
    assert.equal(d.votes[3]!.status, 'timeout');
    assert.match(d.note, /deadline/);
  });

  it("a model's own timeoutMs tightens the ensemble's member timeout", async () => {
    const cfg = poolConfig(models);
    cfg.models = [...(cfg.models ?? []), { id: 'slow', backend: 'openai', baseUrl: `${hanging.origin}/v1`, model: 'slow', timeoutMs: 400 }];
    cfg.ensembles = { default: { members: [...models.map((m) => m.id), 'slow'], labels: LABELS, memberTimeoutMs: 1_500 } };
    assert.equal((await reconfigure(cfg)).ok, true);
    const d = await conn.rpc.request('ensemble/classify', { text: 'it crashes' });
    assert.equal(d.votes[3]!.status, 'timeout');
    // The message names the timeout that cut the member off: the model's 400 ms, not the ensemble's 1500 ms.
    assert.match(d.votes[3]!.error?.message ?? '', /no answer within 400 ms/);
  });

  it('a cancelled request ends with RequestCancelled and the daemon keeps serving', async () => {
    const abort = new AbortController();
    const asked = hanging.requests.length;
    const running = conn.rpc.request('ensemble/classify', { text: 'wait forever' }, { signal: abort.signal });
    // Cancel while the request is in flight: once the hanging member holds its part of it.
    await hanging.when(() => hanging.requests.length > asked);
    abort.abort();
    await assert.rejects(running, (e: unknown) => e instanceof EnsembleError && e.kind === 'RequestCancelled');
    const status = await conn.rpc.request('pool/status', {});
    assert.equal(status.pid, daemon.info.pid);
    assert.doesNotMatch(daemonLog(home), /uncaught|unhandled rejection/);
  });
});

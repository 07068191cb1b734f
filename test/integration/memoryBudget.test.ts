/**
 * The daemon plans its models' memory: with a tiny `daemon.memoryBudgetMiB`, the model that does
 * not fit is `unavailable` in `pool/status` with the reason and what to change (never loaded into
 * an out-of-memory kill), the others serve, and a request that needs it gets ModelUnavailable
 * naming it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DaemonConnection } from '../../client/daemonClient';
import { EnsembleError } from '../../protocol/errors';
import type { PoolModel } from '../fixtures/gguf/models';
import { LABELS, poolConfig, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';

describe('memory budget', () => {
  let home: string;
  let models: PoolModel[];
  let daemon: TestDaemon;
  let conn: DaemonConnection;

  before(async () => {
    home = tempHome();
    // At contextSize 256 the three tiny models need ~2.1 MiB, ~3.3 MiB and ~1.4 MiB (weights, KV cache, compute buffers): with a 4 MiB
    // budget the first and third fit (greedy in config order), the second does not.
    models = tinyPool(home);
    const config = poolConfig(models, { daemon: { memoryBudgetMiB: 4 } });
    config.ensembles = {
      ...config.ensembles,
      big: { members: [models[1]!.id], labels: LABELS },
    };
    writeConfig(home, config);
    daemon = await startTestDaemon(home);
    conn = await daemon.connect();
  });
  after(async () => {
    conn?.close();
    await daemon?.stop();
  });

  it('pool/status: the model over the budget is unavailable with the reason and a hint; the others are placed on the CPU', async () => {
    const [a, b, c] = models.map((m) => m.id) as [string, string, string];
    // Startup warm-up plans b after a is loaded (c, listed after b, is planned after it; once c is
    // loaded too, it is placed first as a loaded model). Asking the default ensemble prepares every member: the two that fit vote, the third is refused.
    const d = await conn.rpc.request('ensemble/classify', { text: 'the app crashes when I click save' });
    assert.deepEqual(
      d.votes.map((v) => v.status),
      ['ok', 'error', 'ok'],
    );
    assert.equal(d.votes[1]!.error?.kind, 'ModelUnavailable');
    assert.equal(d.partial, true);

    const status = await conn.rpc.request('pool/status', {});
    const mb = status.models.find((m) => m.id === b)!;
    assert.equal(mb.state, 'unavailable');
    assert.match(
      mb.reason ?? '',
      new RegExp(`does not fit in memory: needs 3\\.3 MiB, \\d\\.\\d MiB left of the 4 MiB budget after ${a}(, ${c})?$`),
    );
    assert.match(mb.hint ?? '', /lower "contextSize" of/);
    assert.match(mb.hint ?? '', /raise "daemon\.memoryBudgetMiB" \(now 4\)/);
    assert.match(mb.hint ?? '', /remove a member/);
    assert.equal(mb.placement, undefined);
    for (const id of [a, c]) {
      const m = status.models.find((x) => x.id === id)!;
      assert.equal(m.state, 'ready', `${id}: ${m.reason}`);
      assert.equal(m.placement, 'cpu');
    }
    assert.equal(status.memory.budgetBytes, 4 * 2 ** 20);
    assert.equal(status.memory.gpuFreeBytes, 0);
    assert.ok(status.memory.plannedBytes > 0 && status.memory.plannedBytes <= 4 * 2 ** 20, `planned ${status.memory.plannedBytes}`);
  });

  it('a classify request that needs it gets ModelUnavailable naming the model and the reason', async () => {
    const b = models[1]!.id;
    const error = await conn.rpc.request('ensemble/classify', { text: 'add a dark mode', ensemble: 'big' }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof EnsembleError, String(error));
    assert.equal(error.kind, 'ModelUnavailable');
    assert.match(error.message, new RegExp(`${b}: does not fit in memory: needs 3\\.3 MiB`));
    assert.match(error.message, /memoryBudgetMiB/);
  });

  it("the CLI status prints the budget and each model's placement", async () => {
    const r = await daemon.cli(['status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /memory: models [\d.]+ MiB of a 4 MiB budget/);
    assert.match(r.stdout, new RegExp(`${models[0]!.id}\\s+llama\\.cpp\\s+ready\\s+cpu`));
    assert.match(r.stdout, /does not fit in memory/);
  });

  it('raising the budget makes it load on the next request, without a restart', async () => {
    const config = poolConfig(models, { daemon: { memoryBudgetMiB: 64 } });
    config.ensembles = { ...config.ensembles, big: { members: [models[1]!.id], labels: LABELS } };
    writeConfig(home, config);
    assert.deepEqual(await conn.rpc.request('config/reload', {}), { ok: true, error: null });
    const d = await conn.rpc.request('ensemble/classify', { text: 'add a dark mode', ensemble: 'big' });
    assert.equal(d.votes[0]!.status, 'ok');
    const status = await conn.rpc.request('pool/status', {});
    assert.equal(status.models.find((m) => m.id === models[1]!.id)!.placement, 'cpu');
    assert.equal(status.memory.budgetBytes, 64 * 2 ** 20);
  });
});

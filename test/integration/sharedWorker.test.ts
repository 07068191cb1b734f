/**
 * Adapter members share one worker process (a real daemon, real llama.cpp on a generated base and
 * three generated LoRA adapters): the three members run in ONE worker (the daemon's child
 * processes are counted), the plain base in a worker of its own; they answer as their adapters
 * predict, unlike the base; the plan (the daemon's, and `ensemble plan`) charges the base once for
 * the three. A SIGKILL of the shared worker fails the calls in flight of all three at once, and all
 * three come back in one new worker. Removing one member by a config edit while its call runs lets
 * that call finish, and leaves the other two serving in the same worker, never restarted; adding
 * it back loads it into that running worker.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DaemonConnection } from '../../client/daemonClient';
import type { ModelStatus } from '../../protocol/methods';
import { writeLabelAdapter, writeLabelModel, type LabelModel } from '../fixtures/gguf/models';
import { LABELS, daemonLog, startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';
import { isAlive } from '../../common/node/daemonFile';
import { until } from '../support/until';

const SHIFTS: Record<string, Record<string, number>> = {
  docs: { feature: 6 },
  support: { question: 6 },
  review: { feature: 5, question: 2 },
};
const ADAPTERS = Object.keys(SHIFTS);
const TEXT = 'The app crashes on save.';

/** Child processes of `pid`, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // the process ended meanwhile
    }
  }
  return out.sort((a, b) => a - b);
}

describe('adapter members over one base share one worker process (real daemon, real llama.cpp)', { timeout: 300_000 }, () => {
  let home: string;
  let daemon: TestDaemon;
  let conn: DaemonConnection;
  let base: LabelModel;
  const common = { backend: 'llama.cpp', path: 'base.gguf', threads: 1, contextSize: 256 };
  const timeouts = { memberTimeoutMs: 60_000, deadlineMs: 120_000 };
  const config = (adapters: string[]) => ({
    models: [{ id: 'base', ...common }, ...adapters.map((name) => ({ id: name, ...common, lora: { path: `${name}-lora.gguf` } }))],
    ensembles: {
      adapters: { members: adapters, strategy: 'majority', labels: LABELS, ...timeouts },
      plain: { members: ['base'], strategy: 'majority', labels: LABELS, ...timeouts },
    },
    defaultEnsemble: 'adapters',
  });
  const statusOf = async (): Promise<Map<string, ModelStatus>> => {
    const s = await conn.rpc.request('pool/status', {});
    return new Map(s.models.map((m) => [m.id, m]));
  };

  before(async () => {
    home = tempHome();
    const models = path.join(home, 'models');
    fs.mkdirSync(models, { recursive: true });
    base = writeLabelModel(path.join(models, 'base.gguf'), { favor: 'bug', words: LABELS, strength: 3 });
    for (const [name, shift] of Object.entries(SHIFTS)) writeLabelAdapter(path.join(models, `${name}-lora.gguf`), base, shift);
    writeConfig(home, config(ADAPTERS));
    daemon = await startTestDaemon(home);
    conn = await daemon.connect();
  });
  after(async () => {
    conn?.close();
    await daemon?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('three adapter members run in ONE worker, answer as their adapters predict (unlike the base), and are charged the base once', async () => {
    const plain = await conn.rpc.request('ensemble/classify', { text: TEXT, ensemble: 'plain' });
    assert.equal(plain.label, 'bug');
    const d = await conn.rpc.request('ensemble/classify', { text: TEXT });
    assert.deepEqual(
      d.votes.map((v) => [v.member, v.status, v.label]),
      [
        ['docs', 'ok', 'feature'],
        ['support', 'ok', 'question'],
        ['review', 'ok', 'feature'],
      ],
    );
    for (const v of d.votes) {
      const expected = base.expected(LABELS, SHIFTS[v.member]!);
      for (const l of LABELS) assert.ok(Math.abs(v.probabilities[l]! - expected[l]!) < 2e-3, `${v.member} P(${l})`);
    }
    assert.equal(d.label, 'feature');

    const status = await statusOf();
    const pids = ADAPTERS.map((id) => status.get(id)!.workerPid);
    const shared = pids[0]!;
    assert.ok(shared && pids.every((p) => p === shared), `one worker for the three adapters: ${pids.join(', ')}`);
    const basePid = status.get('base')!.workerPid!;
    assert.ok(basePid && basePid !== shared, 'the plain base runs in a worker of its own');
    assert.deepEqual(
      childrenOf(daemon.info.pid),
      [basePid, shared].sort((a, b) => a - b),
      "the daemon's child processes: two workers",
    );

    const statusText = await daemon.cli(['status']);
    assert.match(statusText.stdout, new RegExp(`one worker \\(pid ${shared}\\) for docs, support, review: their base is loaded once`));

    // Status' memory: the member that loaded the base carries its weights, the other two only their context and adapter.
    const baseFile = fs.statSync(base.path).size;
    const adapterMemory = ADAPTERS.map((id) => status.get(id)!.memoryBytes!);
    assert.equal(adapterMemory.filter((b) => b >= baseFile).length, 1, `memory of docs, support, review: ${adapterMemory.join(', ')}`);
    assert.ok(status.get('base')!.memoryBytes! >= baseFile, 'the plain base holds its own copy');

    // `ensemble plan` (the same inputs and planner as the daemon): the base is charged to docs only.
    const plan = await daemon.cli(['plan', '--json']);
    assert.equal(plan.code, 0, plan.stderr);
    const report = JSON.parse(plan.stdout) as {
      models: Array<{ id: string; weightsBytes: number; totalBytes: number; sharedBaseBytes?: number }>;
      sharing: Array<{ members: string[]; carrier: string; savedBytes: number; baseWeightsBytes: number }>;
      totals: { sharedSavingsBytes: number; plannedBytes: number };
    };
    assert.deepEqual(
      report.sharing.map((g) => [g.members, g.carrier]),
      [[ADAPTERS, 'docs']],
    );
    const baseWeights = report.sharing[0]!.baseWeightsBytes;
    assert.ok(baseWeights > 0);
    assert.equal(report.totals.sharedSavingsBytes, 2 * baseWeights);
    const row = (id: string) => report.models.find((m) => m.id === id)!;
    assert.deepEqual(
      ['support', 'review'].map((id) => row(id).sharedBaseBytes),
      [baseWeights, baseWeights],
    );
    assert.ok(row('support').weightsBytes < baseWeights, 'support is charged its adapter, not the base');
    // The daemon's own plan (status' memory figure) is that plan: the base once for the three, once for the plain base.
    const s = await conn.rpc.request('pool/status', {});
    assert.equal(s.memory.plannedBytes, report.totals.plannedBytes);
    assert.equal(
      report.totals.plannedBytes,
      report.models.reduce((n, m) => n + m.totalBytes, 0),
    );
    const text = await daemon.cli(['plan']);
    assert.match(text.stdout, /docs, support, review share base\.gguf \(.*counted once.*\): saves /);
  });

  it('a SIGKILL of the shared worker fails the calls in flight of all three at once; all three come back in one new worker', async () => {
    const killed = (await statusOf()).get('docs')!.workerPid!;
    // Freeze the worker so the three calls are certainly in flight inside it, then kill it.
    process.kill(killed, 'SIGSTOP');
    const pending = conn.rpc.request('ensemble/classify', { text: TEXT });
    await until('three calls in flight', async () => {
      const s = await statusOf();
      return ADAPTERS.every((id) => s.get(id)?.load?.inFlight === 1) ? true : undefined;
    });
    process.kill(killed, 'SIGKILL');
    const d = await pending;
    for (const v of d.votes) {
      assert.equal(v.status, 'error', `${v.member}: ${JSON.stringify(v)}`);
      assert.equal(v.error?.kind, 'BackendError');
      assert.match(v.error?.message ?? '', /worker process \(shared by docs\+support\+review\) killed by SIGKILL/);
    }
    const again = await until('all three serving again', async () => {
      const r = await conn.rpc.request('ensemble/classify', { text: TEXT });
      return r.votes.every((v) => v.status === 'ok') ? r : undefined;
    });
    assert.deepEqual(
      again.votes.map((v) => v.label),
      ['feature', 'question', 'feature'],
    );
    const status = await statusOf();
    const fresh = status.get('docs')!.workerPid!;
    assert.ok(fresh !== killed && ADAPTERS.every((id) => status.get(id)!.workerPid === fresh), 'one new worker for all three');
    assert.ok(ADAPTERS.every((id) => status.get(id)!.state === 'ready'));
    assert.equal(childrenOf(daemon.info.pid).length, 2);
  });

  it('removing one member by a config edit lets its running call finish and leaves the other two serving, never restarted', async () => {
    const worker = (await statusOf()).get('docs')!.workerPid!;
    process.kill(worker, 'SIGSTOP');
    let resumed = false;
    const mark = daemonLog(home).length;
    try {
      const running = conn.rpc.request('ensemble/classify', { text: TEXT });
      await until('three calls in flight', async () => {
        const s = await statusOf();
        return ADAPTERS.every((id) => s.get(id)?.load?.inFlight === 1) ? true : undefined;
      });
      writeConfig(home, config(['docs', 'support']));
      assert.deepEqual(await conn.rpc.request('config/reload', {}), { ok: true, error: null });
      assert.equal((await statusOf()).has('review'), false, 'review left the routing table at once');
      process.kill(worker, 'SIGCONT');
      resumed = true;
      const d = await running;
      assert.deepEqual(
        d.votes.map((v) => [v.member, v.status]),
        [
          ['docs', 'ok'],
          ['support', 'ok'],
          ['review', 'ok'],
        ],
        'the call running on the removed member finished on it',
      );
    } finally {
      if (!resumed) process.kill(worker, 'SIGCONT');
    }
    assert.match(daemonLog(home), /model review left the pool \(config changed\): disposed once its 1 call\(s\) in flight finish/);
    const d = await conn.rpc.request('ensemble/classify', { text: TEXT });
    assert.deepEqual(
      d.votes.map((v) => [v.member, v.status, v.label]),
      [
        ['docs', 'ok', 'feature'],
        ['support', 'ok', 'question'],
      ],
    );
    const status = await statusOf();
    assert.equal(status.get('docs')!.workerPid, worker, 'the same worker: not restarted');
    assert.equal(status.get('support')!.workerPid, worker);
    assert.ok(isAlive(worker));
    assert.equal(childrenOf(daemon.info.pid).length, 2);
    assert.doesNotMatch(daemonLog(home).slice(mark), /model (docs|support): /, 'docs and support never changed state (no reload)');
  });

  it('a member added by a config edit is loaded into the running worker, next to the others', async () => {
    const worker = (await statusOf()).get('docs')!.workerPid!;
    const mark = daemonLog(home).length;
    writeConfig(home, config(ADAPTERS));
    assert.deepEqual(await conn.rpc.request('config/reload', {}), { ok: true, error: null });
    const d = await conn.rpc.request('ensemble/classify', { text: TEXT });
    assert.deepEqual(
      d.votes.map((v) => [v.member, v.status, v.label]),
      [
        ['docs', 'ok', 'feature'],
        ['support', 'ok', 'question'],
        ['review', 'ok', 'feature'],
      ],
    );
    const status = await statusOf();
    assert.ok(
      ADAPTERS.every((id) => status.get(id)!.workerPid === worker),
      'review joined the running worker',
    );
    assert.equal(childrenOf(daemon.info.pid).length, 2);
    assert.doesNotMatch(daemonLog(home).slice(mark), /model (docs|support): /, 'docs and support were not touched');
  });
});

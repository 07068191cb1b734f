/**
 * WorkerBackend from the TypeScript sources (as tests and `tsx` run it: the worker is forked from
 * workerMain.ts under tsx; the bundled daemon forks dist/worker.mjs, see modelWorkers.test.ts): a
 * real llama.cpp model in a child process behind the Backend interface, cancellation passed
 * through, and dispose ending the process.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBackend } from '../../daemon/createBackend';
import type { BackendEvent } from '../../daemon/backends/backend';
import { WorkerBackend } from '../../daemon/worker/workerBackend';
import { WorkerGroups } from '../../daemon/worker/workerGroups';
import { LlamaCppModel } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import { writeClassifierPool, writeLabelAdapter, writeLabelModel, type LabelModel, type PoolModel } from '../fixtures/gguf/models';
import { isAlive } from '../../common/node/daemonFile';

const LABELS = ['bug', 'feature', 'question'];

describe('WorkerBackend (from source, under tsx)', () => {
  let dir: string;
  let model: PoolModel;
  let backend: WorkerBackend;
  const lines: string[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-backend-'));
    model = writeClassifierPool(dir, { labels: LABELS, favors: ['feature'] })[0]!;
    const entry = LlamaCppModel.parse({ id: model.id, backend: 'llama.cpp', path: model.path, threads: 1, contextSize: 256 });
    const b = createBackend(entry, { workerLog: (_id, line) => lines.push(line) });
    assert.ok(b instanceof WorkerBackend);
    backend = b;
  });
  after(async () => {
    await backend?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads in a child process and answers as the in-process backend would', async () => {
    const health = await backend.health(new AbortController().signal);
    assert.equal(health.ok, true, health.reason);
    assert.deepEqual(health.runtime && { gpu: health.runtime.gpu, layersOffloaded: health.runtime.layersOffloaded }, {
      gpu: 'cpu',
      layersOffloaded: 0,
    });
    assert.ok(backend.pid && backend.pid !== process.pid);
    const scores = await backend.classify(
      { text: 'please add dark mode', labels: LABELS, promptStyle: 'direct' },
      new AbortController().signal,
    );
    assert.equal(scores.label, 'feature');
    assert.equal(scores.confidenceSource, 'logprobs');
    for (const l of LABELS)
      assert.ok(Math.abs(scores.probabilities[l]! - model.expected[l]!) < 1e-3, `${l}: ${scores.probabilities[l]} vs ${model.expected[l]}`);
  });

  it('a cancelled call settles at once as RequestCancelled; the worker keeps serving', async () => {
    const controller = new AbortController();
    const call = backend.classify({ text: 'x '.repeat(100), labels: LABELS, promptStyle: 'stepByStep' }, controller.signal);
    controller.abort();
    await assert.rejects(call, (e: unknown) => e instanceof EnsembleError && e.kind === 'RequestCancelled');
    const again = await backend.classify({ text: 'it crashes', labels: LABELS, promptStyle: 'direct' }, new AbortController().signal);
    assert.equal(again.label, 'feature');
  });

  it('dispose ends the worker process; later calls say the model was unloaded', async () => {
    const pid = backend.pid!;
    await backend.dispose();
    assert.throws(() => process.kill(pid, 0), 'the worker is gone');
    await assert.rejects(
      backend.classify({ text: 'x', labels: LABELS, promptStyle: 'direct' }, new AbortController().signal),
      (e: unknown) => e instanceof EnsembleError && e.kind === 'ModelUnavailable' && /unloaded/.test(e.message),
    );
  });
});

describe('adapter members sharing one worker (from source, under tsx)', () => {
  const SHIFTS: Record<string, Record<string, number>> = {
    docs: { feature: 6 },
    support: { question: 6 },
    review: { feature: 5, question: 2 },
  };
  let dir: string;
  let base: LabelModel;
  const entry = (id: string, adapter = id) =>
    LlamaCppModel.parse({
      id,
      backend: 'llama.cpp',
      path: base.path,
      threads: 1,
      contextSize: 256,
      lora: { path: path.join(dir, `${adapter}.gguf`) },
    });
  const never = new AbortController().signal;
  const ask = (b: WorkerBackend) => b.classify({ text: 'The app crashes on save.', labels: LABELS, promptStyle: 'direct' }, never);

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-worker-'));
    base = writeLabelModel(path.join(dir, 'base.gguf'), { favor: 'bug', words: LABELS, strength: 3 });
    for (const [name, shift] of Object.entries(SHIFTS)) writeLabelAdapter(path.join(dir, `${name}.gguf`), base, shift);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('one process for the group; members come and go without restarting it; the last one out ends it', async () => {
    const groups = new WorkerGroups();
    const join = (id: string, adapter?: string) => {
      const e = entry(id, adapter);
      return new WorkerBackend(e, { defaultConcurrency: 1 }, { process: groups.processFor(e)! });
    };
    const [docs, support, review] = ['docs', 'support', 'review'].map((id) => join(id));
    try {
      assert.deepEqual(await Promise.all([docs!, support!, review!].map(ask)).then((r) => r.map((s) => s.label)), [
        'feature',
        'question',
        'feature',
      ]);
      const pid = docs!.pid!;
      assert.ok(pid && support!.pid === pid && review!.pid === pid, 'one worker process');
      assert.equal(groups.size, 1);

      await review!.dispose();
      assert.equal((await ask(docs!)).label, 'feature');
      assert.equal((await ask(support!)).label, 'question');
      await assert.rejects(ask(review!), (e: unknown) => e instanceof EnsembleError && /unloaded/.test(e.message));

      // A member added while the worker runs is hosted at once (a hot config change), in the same process.
      const again = join('review-2', 'review');
      assert.equal((await ask(again)).label, 'feature');
      assert.equal(again.pid, pid);
      assert.equal(docs!.pid, pid, 'never restarted');

      await Promise.all([docs!.dispose(), support!.dispose()]);
      assert.ok(isAlive(pid), 'one member is left: the worker stays');
      await again.dispose();
      assert.equal(isAlive(pid), false, 'the last member out ends the worker');
      assert.equal(groups.size, 0, 'and the group is forgotten: the next member starts a new one');
    } finally {
      await Promise.all([docs, support, review].map((b) => b?.dispose()));
    }
  });

  it('a crash of an idle worker (no call running: an OOM kill) counts for every member, each on its own policy', async () => {
    const groups = new WorkerGroups();
    const members = ['docs', 'support'].map((id) => {
      const e = entry(id);
      return new WorkerBackend(e, { defaultConcurrency: 1 }, { process: groups.processFor(e)!, maxCrashes: 1 });
    });
    try {
      await Promise.all(members.map(ask));
      const events = members.map((m) => new Promise<BackendEvent>((resolve) => m.onEvent(resolve)));
      process.kill(members[0]!.pid!, 'SIGKILL');
      for (const e of await Promise.all(events)) {
        assert.equal(e.type, 'failed');
        assert.match(e.reason, /worker process \(shared by docs\+support\) killed by SIGKILL/);
      }
      await assert.rejects(ask(members[1]!), (e: unknown) => e instanceof EnsembleError && e.kind === 'ModelUnavailable');
      members[1]!.reset(); // `pool/reload` of one member starts the worker again for it
      assert.equal((await ask(members[1]!)).label, 'question');
      await assert.rejects(ask(members[0]!), /failed/, 'the other member stays failed until it is reloaded too');
    } finally {
      await Promise.all(members.map((m) => m.dispose()));
    }
  });

  it('the crash counts against the member whose call was running; an idle member only restarts with the worker', async () => {
    const groups = new WorkerGroups();
    const [busy, idle] = ['docs', 'support'].map((id) => {
      const e = entry(id);
      return new WorkerBackend(e, { defaultConcurrency: 1 }, { process: groups.processFor(e)!, maxCrashes: 1 });
    });
    try {
      await Promise.all([busy!, idle!].map(ask));
      const events = [busy!, idle!].map((m) => new Promise<BackendEvent>((resolve) => m.onEvent(resolve)));
      const pid = busy!.pid!;
      process.kill(pid, 'SIGSTOP'); // so the call is certainly in flight when the worker dies
      const running = ask(busy!);
      process.kill(pid, 'SIGKILL');
      await assert.rejects(running, /killed by SIGKILL/);
      const [busyEvent, idleEvent] = await Promise.all(events);
      assert.equal(busyEvent!.type, 'failed', 'one crash with its call running: failed (maxCrashes 1)');
      assert.equal(idleEvent!.type, 'crashed', 'the idle member restarts with the worker');
      assert.equal((await ask(idle!)).label, 'question');
      assert.ok(idle!.pid && idle!.pid !== pid, 'in a new worker');
      await assert.rejects(ask(busy!), /failed/);
    } finally {
      await Promise.all([busy, idle].map((m) => m?.dispose()));
    }
  });
});

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
import { WorkerBackend } from '../../daemon/worker/workerBackend';
import { LlamaCppModel } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import { writeClassifierPool, type PoolModel } from '../fixtures/gguf/models';

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

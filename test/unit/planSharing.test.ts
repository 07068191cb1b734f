/**
 * The memory plan's wiring of shared bases (planInputs.ts -> adapterMemory.ts -> memoryPlan.ts), on
 * real generated GGUF files read through the daemon's own backend factory (nothing loads, no worker
 * starts): three LoRA adapter members over one base are charged the base once plus each adapter and
 * KV cache, a plain model over the same file is charged its own copy (it runs in a worker of its
 * own), and `ensemble plan`'s report lists the sharing and the saving.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatPlan } from '../../cli/commands/plan';
import { createBackend } from '../../daemon/createBackend';
import { llamaCppMemoryNeeds } from '../../daemon/backends/llamaCppMemory';
import { planInputsOf } from '../../daemon/pool/planInputs';
import { planPool } from '../../daemon/pool/poolPlan';
import { workerGroupKey } from '../../daemon/worker/workerGroups';
import { LlamaCppModel, PoolConfig } from '../../protocol/config';
import { writeLabelAdapter, writeLabelModel, type WrittenModel } from '../fixtures/gguf/models';

const LABELS = ['bug', 'feature', 'question'];
const ADAPTERS = { docs: { feature: 6 }, support: { question: 6 }, review: { feature: 5, question: 2 } };

describe('the memory plan charges a shared base once', () => {
  let dir: string;
  let basePath: string;
  const adapters: Record<string, WrittenModel> = {};
  let config: PoolConfig;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-sharing-'));
    const base = writeLabelModel(path.join(dir, 'base.gguf'), { favor: 'bug', words: LABELS });
    basePath = base.path;
    for (const [name, shift] of Object.entries(ADAPTERS)) adapters[name] = writeLabelAdapter(path.join(dir, `${name}.gguf`), base, shift);
    const common = { backend: 'llama.cpp', path: basePath, threads: 1, contextSize: 256 };
    config = PoolConfig.parse({
      models: [
        { id: 'base', ...common },
        ...Object.keys(ADAPTERS).map((id) => ({ id, ...common, lora: { path: adapters[id]!.path } })),
        { id: 'other-offload', ...common, gpuLayers: 4, lora: { path: adapters.docs!.path } },
      ],
      daemon: { memoryBudgetMiB: 4096 },
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('group keys: adapter members over one file and offload share; the plain base and another offload do not', () => {
    const key = (id: string) => workerGroupKey(config.models.find((m) => m.id === id)!);
    assert.equal(key('base'), undefined);
    assert.ok(key('docs'));
    assert.equal(key('docs'), key('support'));
    assert.equal(key('docs'), key('review'));
    assert.notEqual(key('docs'), key('other-offload'));
  });

  it('llamaCppMemoryNeeds marks a shared member with its group, base file and adapter bytes', async () => {
    const entry = LlamaCppModel.parse({
      id: 'docs',
      backend: 'llama.cpp',
      path: basePath,
      threads: 1,
      lora: { path: adapters.docs!.path },
    });
    const needs = (await llamaCppMemoryNeeds(entry, 'group-1'))!;
    assert.deepEqual(needs.sharedBase, { key: 'group-1', basePath, adapterBytes: adapters.docs!.bytes });
    assert.equal((await llamaCppMemoryNeeds(entry))!.sharedBase, undefined, 'no key: not shared');
  });

  it('planInputsOf charges the base to the first adapter member only, each adds its adapter and KV cache', async () => {
    const planned = config.models.map((entry) => {
      const backend = createBackend(entry);
      return { entry, backend, traits: backend.traits!, loaded: false };
    });
    try {
      const r = await planInputsOf(planned);
      const alone = r.needs.get('base')!;
      const baseWeights = alone.weightsBytes;
      assert.ok(baseWeights > 0);
      const charged = (id: string) => r.charged.get(id)!;
      assert.equal(charged('base').weightsBytes, baseWeights, 'the plain base loads its own copy');
      assert.equal(charged('docs').weightsBytes, baseWeights + adapters.docs!.bytes, 'the first adapter member carries the base');
      assert.equal(charged('support').weightsBytes, adapters.support!.bytes);
      assert.equal(charged('review').weightsBytes, adapters.review!.bytes);
      assert.equal(charged('other-offload').weightsBytes, baseWeights + adapters.docs!.bytes, 'another offload is another load');
      for (const id of ['base', 'docs', 'support', 'review']) assert.equal(charged(id).kvCacheBytes, alone.kvCacheBytes);
      assert.equal(r.needs.get('support')!.weightsBytes, baseWeights + adapters.support!.bytes, 'needs alone are kept for displays');
      assert.deepEqual(
        r.sharing.map((g) => ({ members: g.members, carrier: g.carrier, base: g.baseWeightsBytes, saved: g.savedBytes })),
        [{ members: ['docs', 'support', 'review'], carrier: 'docs', base: baseWeights, saved: 2 * baseWeights }],
      );
      assert.equal(r.savedBytes, 2 * baseWeights);
      const input = r.inputs.find((i) => i.id === 'support')!;
      assert.ok(input.kind === 'local' && input.weightsBytes === adapters.support!.bytes && !('sharedBase' in input));
    } finally {
      await Promise.all(planned.map((m) => m.backend.dispose()));
    }
  });

  it("`ensemble plan`'s report: rows, totals and the sharing, in JSON and in words", async () => {
    const report = await planPool(config, { ramBytes: 16 * 2 ** 30, gpus: [], gpuSource: 'none' }, createBackend);
    const row = (id: string) => report.models.find((m) => m.id === id)!;
    const baseWeights = row('base').weightsBytes!;
    assert.equal(row('support').weightsBytes, adapters.support!.bytes);
    assert.equal(row('support').sharedBaseBytes, baseWeights);
    assert.equal(row('docs').sharedBaseBytes, undefined, 'the carrier loads it');
    const adapterBytes = Object.values(adapters).reduce((s, a) => s + a.bytes, 0);
    // base alone + (base + 3 adapters) for the group + (base + docs adapter) for the other offload.
    assert.equal(report.totals.weightsBytes, 3 * baseWeights + adapterBytes + adapters.docs!.bytes);
    assert.equal(report.totals.sharedSavingsBytes, 2 * baseWeights);
    assert.deepEqual(
      report.sharing.map((g) => g.members),
      [['docs', 'support', 'review']],
    );
    const planned = report.models.reduce((s, m) => s + (m.fits ? m.ramBytes : 0), 0);
    assert.equal(report.totals.plannedBytes, planned);
    assert.ok(report.models.every((m) => m.fits));
    const text = formatPlan(report);
    assert.match(
      text,
      /shared bases \(one worker each[^\n]*\n\s+docs, support, review share base\.gguf \([^)]*counted once plus [^)]* of adapters\): saves /,
    );
    assert.match(text, /saved in all: /);
  });
});

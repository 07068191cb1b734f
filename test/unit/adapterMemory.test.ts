/**
 * daemon/pool/adapterMemory.ts: members over one base are charged its weights once, and the
 * memory plan then fits three adapter members where three full copies would not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSharing, shareBaseWeights, type BaseSharingInput } from '../../daemon/pool/adapterMemory';
import { planMemory } from '../../daemon/pool/memoryPlan';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** An adapter member over `basePath` (it shares the base's worker); `plain` has no adapter and loads the base in a worker of its own. */
function member(id: string, basePath: string, extra: Partial<BaseSharingInput> = {}): BaseSharingInput {
  return {
    id,
    kind: 'local',
    basePath,
    shareKey: basePath,
    weightsBytes: 4 * GiB,
    kvCacheBytes: 0.5 * GiB,
    layers: 24,
    gpuLayers: 0,
    ...extra,
  };
}
function plain(id: string, basePath: string, extra: Partial<BaseSharingInput> = {}): BaseSharingInput {
  const { shareKey: _key, ...rest } = member(id, basePath, extra);
  return rest;
}

interface Row {
  name: string;
  models: BaseSharingInput[];
  /** Expected weightsBytes per member after sharing, in MiB. */
  weightsMiB: Record<string, number>;
  savedGiB: number;
  sharing: Array<{ members: string[]; carrier: string }>;
}

const rows: Row[] = [
  {
    name: 'three adapters over one base: the first carries the base, each adds its adapter',
    models: [
      member('docs', '/m/base.gguf', { adapterBytes: 20 * MiB }),
      member('support', '/m/base.gguf', { adapterBytes: 30 * MiB }),
      member('review', '/m/base.gguf', { adapterBytes: 10 * MiB }),
    ],
    weightsMiB: { docs: 4096 + 20, support: 30, review: 10 },
    savedGiB: 8,
    sharing: [{ members: ['docs', 'support', 'review'], carrier: 'docs' }],
  },
  {
    name: 'a loaded member carries the base even when listed later (planMemory places it first)',
    models: [
      member('docs', '/m/base.gguf', { adapterBytes: 20 * MiB }),
      member('review', '/m/base.gguf', { adapterBytes: 10 * MiB, loaded: true }),
    ],
    weightsMiB: { docs: 20, review: 4096 + 10 },
    savedGiB: 4,
    sharing: [{ members: ['docs', 'review'], carrier: 'review' }],
  },
  {
    name: 'the plain base has a worker of its own: it loads the base itself, the adapters share another copy',
    models: [
      plain('base', '/m/base.gguf'),
      member('docs', '/m/base.gguf', { adapterBytes: 20 * MiB }),
      member('support', '/m/base.gguf', { adapterBytes: 30 * MiB }),
    ],
    weightsMiB: { base: 4096, docs: 4096 + 20, support: 30 },
    savedGiB: 4,
    sharing: [{ members: ['docs', 'support'], carrier: 'docs' }],
  },
  {
    name: 'plain models over one file never share (each its own worker)',
    models: [plain('a', '/m/one.gguf'), plain('b', '/m/one.gguf')],
    weightsMiB: { a: 4096, b: 4096 },
    savedGiB: 0,
    sharing: [],
  },
  {
    name: 'different bases and different GPU offloads do not share',
    models: [member('a', '/m/one.gguf'), member('b', '/m/two.gguf'), member('c', '/m/one.gguf', { gpuLayers: 'auto' })],
    weightsMiB: { a: 4096, b: 4096, c: 4096 },
    savedGiB: 0,
    sharing: [],
  },
  {
    name: 'negative sizes from a hostile header count as 0',
    models: [member('x', '/m/b.gguf', { adapterBytes: -5 }), member('y', '/m/b.gguf', { weightsBytes: -1, adapterBytes: 2 * MiB })],
    weightsMiB: { x: 4096, y: 2 },
    savedGiB: 4,
    sharing: [{ members: ['x', 'y'], carrier: 'x' }],
  },
];

describe('shareBaseWeights', () => {
  for (const row of rows) {
    it(row.name, () => {
      const r = shareBaseWeights(row.models);
      assert.deepEqual(Object.fromEntries(r.inputs.map((m) => [m.id, m.weightsBytes / MiB])), row.weightsMiB);
      assert.equal(r.savedBytes, row.savedGiB * GiB);
      assert.deepEqual(
        r.sharing.map(({ members, carrier }) => ({ members, carrier })),
        row.sharing,
      );
      for (const m of r.inputs) assert.equal(m.kvCacheBytes, 0.5 * GiB, 'every member keeps its own KV cache');
      for (const m of r.inputs)
        assert.ok(!('basePath' in m) && !('adapterBytes' in m) && !('shareKey' in m), 'the plan gets plain LocalModelInputs');
    });
  }

  it('the memory plan fits three adapter members where three copies of the base would not', () => {
    const models = ['docs', 'support', 'review'].map((id) => member(id, '/m/base.gguf', { adapterBytes: 16 * MiB }));
    const machine = { freeRamBytes: 64 * GiB, gpuFreeBytes: 0, budgetBytes: 8 * GiB };
    const copies = planMemory(
      models.map(({ basePath: _b, adapterBytes: _a, shareKey: _k, ...m }) => m),
      machine,
    );
    assert.deepEqual(
      copies.models.map((p) => p.fits),
      [true, false, false],
    );
    const shared = shareBaseWeights(models);
    const plan = planMemory(shared.inputs, machine);
    assert.deepEqual(
      plan.models.map((p) => p.fits),
      [true, true, true],
    );
    assert.equal(plan.ramPlannedBytes, 4 * GiB + 3 * (0.5 * GiB + 16 * MiB));
    assert.deepEqual(
      describeSharing(shared.sharing, (p) => p.split('/').at(-1)!),
      ['docs, support, review share base.gguf (4 GiB, counted once plus 48 MiB of adapters): saves 8 GiB'],
    );
  });
});

describe('llamaCppMemoryNeeds with a LoRA adapter', () => {
  it("a member's worker is planned for the base plus its adapter file", async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { llamaCppMemoryNeeds } = await import('../../daemon/backends/llamaCppMemory');
    const { LlamaCppModel } = await import('../../protocol/config');
    const { writeLabelAdapter, writeLabelModel } = await import('../fixtures/gguf/models');
    const dir = mkdtempSync(join(tmpdir(), 'adapter-memory-'));
    try {
      const base = writeLabelModel(join(dir, 'base.gguf'), { favor: 'bug', words: ['bug', 'feature'] });
      const adapter = writeLabelAdapter(join(dir, 'lora.gguf'), base, { feature: 4 });
      const entry = (lora?: { path: string }) =>
        LlamaCppModel.parse({ id: 'm', backend: 'llama.cpp', path: base.path, threads: 1, contextSize: 256, lora });
      const plain = (await llamaCppMemoryNeeds(entry()))!;
      const withAdapter = (await llamaCppMemoryNeeds(entry({ path: adapter.path })))!;
      assert.equal(withAdapter.weightsBytes - plain.weightsBytes, adapter.bytes);
      assert.equal(withAdapter.kvCacheBytes, plain.kvCacheBytes);
      const missing = (await llamaCppMemoryNeeds(entry({ path: join(dir, 'nope.gguf') })))!;
      assert.equal(missing.weightsBytes, plain.weightsBytes, 'a missing adapter adds nothing (its member fails to load with the reason)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

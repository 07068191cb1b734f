import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Backend } from '../../daemon/backends/backend';
import { ggufMemory, llamaCppMemoryNeeds } from '../../daemon/backends/llamaCppMemory';
import { Logger } from '../../daemon/process/log';
import { formatSize, planMemory, type MachineMemory, type ModelPlacement, type PlanModelInput } from '../../daemon/pool/memoryPlan';
import { Pool, type MemoryProbe } from '../../daemon/pool/pool';
import { PoolConfig, type ModelEntry } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import { writeClassifierPool, type PoolModel } from '../fixtures/gguf/models';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const gib = (x: number): number => Math.round(x * GiB);

function local(
  id: string,
  weightsGiB: number,
  kvGiB: number,
  extra: Partial<Extract<PlanModelInput, { kind: 'local' }>> = {},
): PlanModelInput {
  return { id, kind: 'local', weightsBytes: gib(weightsGiB), kvCacheBytes: gib(kvGiB), layers: 24, gpuLayers: 0, ...extra };
}
const remote = (id: string): PlanModelInput => ({ id, kind: 'remote' });
const machine = (m: Partial<MachineMemory>): MachineMemory => ({ freeRamBytes: gib(64), gpuFreeBytes: 0, budgetBytes: gib(16), ...m });

interface Row {
  name: string;
  models: PlanModelInput[];
  machine: MachineMemory;
  /** Expected per model: placement for models that fit, reason (exact) for models that do not, null for HTTP models. */
  expect: Record<string, { placement: string } | { reason: string; hint?: RegExp } | null>;
  plannedGiB?: number;
}

const rows: Row[] = [
  {
    name: 'all fit on the CPU',
    models: [local('qwen', 1, 0.1), local('llama', 2, 0.2), local('phi', 2.5, 0.3)],
    machine: machine({}),
    expect: { qwen: { placement: 'cpu' }, llama: { placement: 'cpu' }, phi: { placement: 'cpu' } },
    plannedGiB: 6.1,
  },
  {
    name: 'one does not fit: the exact reason, and a later smaller model still fits (greedy in config order)',
    models: [local('qwen', 4.5, 0.5), local('llama', 8, 0.7), local('phi', 3.6, 0.5), local('gemma', 1.4, 0.1)],
    machine: machine({}),
    expect: {
      qwen: { placement: 'cpu' },
      llama: { placement: 'cpu' },
      phi: {
        reason: 'needs 4.1 GiB, 2.3 GiB left of the 16 GiB budget after qwen, llama',
        hint: /lower "contextSize" of "phi" \(its KV cache takes 512 MiB\), raise "daemon\.memoryBudgetMiB" \(now 16384\), or remove a member \(earlier models take memory first: qwen, llama\)/,
      },
      gemma: { placement: 'cpu' },
    },
    plannedGiB: 5 + 8.7 + 1.5,
  },
  {
    name: 'a model bigger than the whole budget',
    models: [local('huge', 20, 1)],
    machine: machine({}),
    expect: { huge: { reason: 'needs 21 GiB, more than the 16 GiB budget', hint: /or use a smaller model/ } },
    plannedGiB: 0,
  },
  {
    name: 'VRAM: "auto" offloads whole layers until the VRAM is full, the rest in RAM; the next model gets none',
    models: [local('big', 5.5, 0.5, { gpuLayers: 'auto' }), local('next', 1.9, 0.1, { gpuLayers: 'auto' })],
    machine: machine({ gpuFreeBytes: gib(3.05) }), // 0.05 GiB left after big: less than one of next's layers
    expect: { big: { placement: 'gpu 12/24 layers' }, next: { placement: 'cpu' } },
    plannedGiB: 8,
  },
  {
    name: 'VRAM: a model that fits whole goes to the GPU entirely, a fixed layer count above the layers is clamped',
    models: [local('small', 0.9, 0.1, { gpuLayers: 99, layers: 8 }), local('other', 0.9, 0.1, { gpuLayers: 'auto', layers: 8 })],
    machine: machine({ gpuFreeBytes: gib(1.5) }),
    expect: { small: { placement: 'gpu 8/8 layers' }, other: { placement: 'gpu 4/8 layers' } },
    plannedGiB: 2,
  },
  {
    name: 'VRAM: a fixed gpuLayers that the VRAM left cannot hold is refused, with the layer count that would fit',
    models: [local('big', 5.5, 0.5, { gpuLayers: 20 })],
    machine: machine({ gpuFreeBytes: gib(3) }),
    expect: {
      big: {
        reason: 'needs 5 GiB of VRAM for 20/24 layers on the GPU, 3 GiB of VRAM left',
        hint: /set "gpuLayers" of "big" to "auto" or at most 12/,
      },
    },
    plannedGiB: 0,
  },
  {
    name: 'no GPU: gpuLayers is moot, everything in RAM',
    models: [local('a', 1, 0.1, { gpuLayers: 'auto' }), local('b', 1, 0.1, { gpuLayers: 33 })],
    machine: machine({ gpuFreeBytes: 0 }),
    expect: { a: { placement: 'cpu' }, b: { placement: 'cpu' } },
    plannedGiB: 2.2,
  },
  {
    name: 'RAM that the GPU spares: a model fits only thanks to offloading',
    models: [local('big', 11.5, 0.5, { gpuLayers: 'auto' })],
    machine: machine({ gpuFreeBytes: gib(4), budgetBytes: gib(8) }),
    expect: { big: { placement: 'gpu 8/24 layers' } },
    plannedGiB: 12,
  },
  {
    name: 'RAM left over after offloading is still too little: the reason says what is on the GPU',
    models: [local('big', 11.5, 0.5, { gpuLayers: 'auto' })],
    machine: machine({ gpuFreeBytes: gib(2), budgetBytes: gib(8) }),
    expect: { big: { reason: 'needs 10 GiB in RAM (besides 4/24 layers on the GPU), more than the 8 GiB budget' } },
    plannedGiB: 0,
  },
  {
    name: 'the GPU has VRAM left but the model asks for none: the hint suggests "auto"',
    models: [local('big', 11.5, 0.5)],
    machine: machine({ gpuFreeBytes: gib(6), budgetBytes: gib(8) }),
    expect: {
      big: { reason: 'needs 12 GiB, more than the 8 GiB budget', hint: /set "gpuLayers" of "big" to "auto" \(6 GiB of VRAM left\)/ },
    },
    plannedGiB: 0,
  },
  {
    name: 'HTTP models take no local memory and never count against the budget',
    models: [remote('vllm'), local('qwen', 3.5, 0.5), remote('ollama'), local('phi', 3.5, 0.5)],
    machine: machine({ budgetBytes: gib(8) }),
    expect: { vllm: null, qwen: { placement: 'cpu' }, ollama: null, phi: { placement: 'cpu' } },
    plannedGiB: 8,
  },
  {
    name: 'budget smaller than free RAM: the budget binds',
    models: [local('a', 3, 0), local('b', 3, 0)],
    machine: machine({ freeRamBytes: gib(32), budgetBytes: gib(4) }),
    expect: {
      a: { placement: 'cpu' },
      b: { reason: 'needs 3 GiB, 1 GiB left of the 4 GiB budget after a', hint: /raise "daemon\.memoryBudgetMiB" \(now 4096\)/ },
    },
    plannedGiB: 3,
  },
  {
    name: 'free RAM smaller than the budget: free RAM binds, and raising the budget is not suggested',
    models: [local('a', 3, 0), local('b', 3, 0)],
    machine: machine({ freeRamBytes: gib(5), budgetBytes: gib(16) }),
    expect: {
      a: { placement: 'cpu' },
      b: {
        reason: "needs 3 GiB, 2 GiB left of the machine's 5 GiB free RAM after a",
        hint: /^(?!.*memoryBudgetMiB).*free memory on this machine/,
      },
    },
    plannedGiB: 3,
  },
  {
    name: 'loaded models keep their place ahead of config order and are never refused',
    models: [local('first', 3, 0), local('loaded', 3, 0, { loaded: true })],
    machine: machine({ budgetBytes: gib(4) }),
    expect: { first: { reason: 'needs 3 GiB, 1 GiB left of the 4 GiB budget after loaded' }, loaded: { placement: 'cpu' } },
    plannedGiB: 3,
  },
  {
    name: 'unified memory: offloaded layers count against RAM too',
    models: [local('a', 3, 0, { gpuLayers: 'auto' }), local('b', 3, 0, { gpuLayers: 'auto' })],
    machine: machine({ gpuFreeBytes: gib(10), budgetBytes: gib(5), unifiedMemory: true }),
    expect: {
      a: { placement: 'gpu 24/24 layers' },
      b: { reason: 'needs 3 GiB in RAM (besides 24/24 layers on the GPU), 2 GiB left of the 5 GiB budget after a' },
    },
    plannedGiB: 3,
  },
];

describe('planMemory', () => {
  for (const row of rows) {
    it(row.name, () => {
      const plan = planMemory(row.models, row.machine);
      assert.deepEqual(
        plan.models.map((p) => p.id),
        row.models.map((m) => m.id),
        'config order',
      );
      for (const [id, want] of Object.entries(row.expect)) {
        const p = plan.models.find((x) => x.id === id)!;
        if (want === null) {
          assert.deepEqual(p, { id, local: false, fits: true, gpuLayers: 0, layers: 0, ramBytes: 0, vramBytes: 0 });
        } else if ('placement' in want) {
          assert.equal(p.fits, true, `${id}: ${p.reason}`);
          assert.equal(p.placement, want.placement, id);
          assert.equal(p.reason, undefined);
        } else {
          assert.equal(p.fits, false, `${id} should not fit`);
          assert.equal(p.reason, want.reason);
          assert.equal(p.placement, undefined);
          assert.ok(p.hint, `${id} has a hint`);
          if (want.hint) assert.match(p.hint, want.hint);
        }
      }
      if (row.plannedGiB !== undefined)
        assert.ok(Math.abs(plan.plannedBytes - gib(row.plannedGiB)) <= 8, `planned ${plan.plannedBytes / GiB} GiB`);
      assert.equal(plan.plannedBytes, plan.ramPlannedBytes + plan.vramPlannedBytes);
    });
  }

  it('splits a partially offloaded model by whole layers', () => {
    const plan = planMemory([local('big', 5.5, 0.5, { gpuLayers: 'auto' })], machine({ gpuFreeBytes: gib(3.1) }));
    const p = plan.models[0] as ModelPlacement;
    assert.equal(p.gpuLayers, 12);
    assert.equal(p.layers, 24);
    assert.equal(p.vramBytes, gib(3));
    assert.equal(p.ramBytes, gib(3));
    assert.equal(plan.vramPlannedBytes, gib(3));
    assert.equal(plan.gpuFreeBytes, gib(3.1));
  });

  it('reports the RAM limit as the smaller of budget and free RAM', () => {
    assert.equal(planMemory([], machine({ freeRamBytes: gib(3), budgetBytes: gib(4) })).ramLimitBytes, gib(3));
    assert.equal(planMemory([], machine({ freeRamBytes: gib(30), budgetBytes: gib(4) })).ramLimitBytes, gib(4));
  });

  it('formats sizes in the unit people read', () => {
    assert.equal(formatSize(16 * GiB), '16 GiB');
    assert.equal(formatSize(gib(4.1)), '4.1 GiB');
    assert.equal(formatSize(612 * MiB), '612 MiB');
    assert.equal(formatSize(1.5 * MiB), '1.5 MiB');
    assert.equal(formatSize(20 * 1024), '20 KiB');
    assert.equal(formatSize(10), '10 B');
    assert.equal(formatSize(-5), '0 B');
  });
});

/** The pool consults the plan before loading: fake backends, generated GGUF headers, a fake machine. */
describe('Pool with the memory plan', () => {
  let dir: string;
  let files: PoolModel[];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'memplan-'));
    // Estimated at contextSize 256 (weights + KV cache + compute buffers): ~2.1 MiB, ~3.3 MiB and ~1.4 MiB.
    files = writeClassifierPool(dir, { labels: ['bug', 'feature', 'question'], favors: ['bug', 'bug', 'feature'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** GPU layers each fake backend was told to load with (the plan's placement). */
  const placed = new Map<string, number>();

  function fakeBackend(entry: ModelEntry, loads: string[]): Backend {
    return {
      applyPlacement: (p) => placed.set(entry.id, p.gpuLayers),
      traits: { local: entry.backend === 'llama.cpp', defaultConcurrency: 1 },
      memoryNeeds: async () => (entry.backend === 'llama.cpp' ? llamaCppMemoryNeeds(entry) : undefined),
      id: entry.id,
      kind: entry.backend,
      location: entry.backend === 'llama.cpp' ? (entry.path ?? '') : entry.baseUrl,
      async health() {
        loads.push(entry.id);
        return { ok: true, memoryBytes: 1 };
      },
      async classify() {
        throw new Error('not used');
      },
      async generate() {
        throw new Error('not used');
      },
      async dispose() {},
    };
  }

  function makePool(probe: MemoryProbe, config: unknown): { pool: Pool; loads: string[] } {
    const loads: string[] = [];
    const pool = new Pool(
      (e) => fakeBackend(e, loads),
      new Logger('error', () => {}),
      () => {},
      () => {},
      probe,
    );
    pool.apply(PoolConfig.parse(config), '/tmp/config.json');
    return { pool, loads };
  }

  const probe = (gpuFreeBytes = 0): MemoryProbe => ({
    totalRamBytes: () => 8 * GiB,
    freeRamBytes: () => 4 * GiB,
    gpu: async () => ({ freeBytes: gpuFreeBytes, unified: false }),
  });
  const signal = () => new AbortController().signal;

  it('a model over the budget is unavailable with the reason and hint, never loaded; the others load', async () => {
    const { pool, loads } = makePool(probe(), {
      models: [
        ...files.map((f) => ({ id: f.id, backend: 'llama.cpp', path: f.path, contextSize: 256 })),
        { id: 'remote', backend: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' },
      ],
      daemon: { memoryBudgetMiB: 4 },
    });
    const [a, b, c] = files.map((f) => f.id) as [string, string, string];
    for (const id of [a, c, 'remote']) await pool.ready(id, signal());
    await assert.rejects(pool.ready(b, signal()), (e: unknown) => {
      assert.ok(e instanceof EnsembleError);
      assert.equal(e.kind, 'ModelUnavailable');
      assert.match(
        e.message,
        new RegExp(`^${b}: does not fit in memory: needs 3\\.3 MiB, 0\\.\\d MiB left of the 4 MiB budget after ${a}, ${c}; `),
      );
      assert.match(e.message, /raise "daemon\.memoryBudgetMiB" \(now 4\)/);
      return true;
    });
    assert.deepEqual(loads.sort(), [a, c, 'remote'].sort());
    const status = pool.status(() => 1);
    const sb = status.find((m) => m.id === b)!;
    assert.equal(sb.state, 'unavailable');
    assert.match(sb.hint ?? '', /contextSize.*memoryBudgetMiB.*remove a member.*\(in \/tmp\/config\.json\)/);
    assert.equal(sb.placement, undefined);
    assert.equal(status.find((m) => m.id === a)!.placement, 'cpu');
    assert.equal(status.find((m) => m.id === 'remote')!.placement, undefined);
    const mem = pool.memoryPlan();
    assert.equal(mem.budgetBytes, 4 * MiB);
    assert.equal(mem.gpuFreeBytes, 0);
    assert.equal(mem.totalBytes, 8 * GiB);
    assert.ok(mem.plannedBytes > 0 && mem.plannedBytes < 4 * MiB, `planned ${mem.plannedBytes}`);
  });

  it("config order decides, not request order: a later model asked first cannot take an earlier one's share", async () => {
    const [a, b] = files as [PoolModel, PoolModel];
    // a (~2.1 MiB) and b (~3.3 MiB) each fit in 3.5 MiB of free RAM, not both.
    const tight: MemoryProbe = { ...probe(), freeRamBytes: () => Math.round(3.5 * MiB) };
    const { pool, loads } = makePool(tight, {
      models: [a, b].map((f) => ({ id: f.id, backend: 'llama.cpp', path: f.path, contextSize: 256 })),
    });
    await assert.rejects(
      pool.ready(b.id, signal()),
      new RegExp(
        `does not fit in memory: needs 3\\.3 MiB, 1\\.\\d MiB left of the machine's 3\\.5 MiB free RAM after ${a.id}; .*free memory on this machine`,
      ),
    );
    await pool.ready(a.id, signal());
    assert.deepEqual(loads, [a.id]);
  });

  it("without a budget, 90% of the machine's RAM", () => {
    const { pool } = makePool(probe(), { models: [] });
    assert.equal(pool.memoryPlan().budgetBytes, Math.floor(0.9 * 8 * GiB));
  });

  it('with a GPU, "auto" models are placed in VRAM by whole layers and the status says so', async () => {
    const [a, b] = files as [PoolModel, PoolModel];
    const needA = await ggufMemory(a.path, 256);
    const aBytes = needA!.weightsBytes + needA!.kvCacheBytes + needA!.computeBytes;
    const vram = aBytes + 400 * 1024;
    let loads: string[] = [];
    // The fake GPU's free VRAM drops by what a takes once it is loaded.
    const gpuProbe: MemoryProbe = {
      ...probe(),
      gpu: async () => ({ freeBytes: loads.includes(a.id) ? vram - aBytes : vram, unified: false }),
    };
    const made = makePool(gpuProbe, {
      models: [a, b].map((f) => ({ id: f.id, backend: 'llama.cpp', path: f.path, contextSize: 256, gpuLayers: 'auto' })),
      daemon: { memoryBudgetMiB: 16 },
    });
    loads = made.loads;
    await made.pool.ready(a.id, signal());
    await made.pool.ready(b.id, signal());
    const status = made.pool.status(() => 1);
    // a (2 layers, ~2.1 MiB) goes to the GPU whole; b (3 layers of ~1.1 MiB) finds 400 KiB left: no whole layer.
    assert.equal(status.find((m) => m.id === a.id)!.memoryBytes, 1, 'the backend reports what it took once loaded');
    assert.equal(status.find((m) => m.id === a.id)!.placement, 'gpu 2/2 layers');
    assert.equal(status.find((m) => m.id === b.id)!.placement, 'cpu');
    assert.equal(made.pool.memoryPlan().gpuFreeBytes, vram, 'free VRAM as if our own loaded models were not there');
    // The backends load as planned: "auto" resolved to all of a's layers and none of b's.
    assert.equal(placed.get(a.id), 2);
    assert.equal(placed.get(b.id), 0);
  });
});

/**
 * The memory plan on the shapes of published models (header-only sparse GGUFs: full size, a few
 * MB on disk, nothing loaded): weights against the architecture's parameter count times bytes per
 * parameter (2 in f16, ~0.6 at Q4_K_M), the KV cache against its formula, agreement with
 * node-llama-cpp's own estimate, and multi-GPU placement of three 7B models.
 */
import { createBackend } from '../../daemon/createBackend';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GgufInsights, readGgufFileInfo } from 'node-llama-cpp';
import { ggufMemory } from '../../daemon/backends/llamaCppMemory';
import { parseGpus, planPool } from '../../daemon/pool/poolPlan';
import { PoolConfig } from '../../protocol/config';
import {
  ARCHITECTURES,
  kvCacheFormula,
  parameterCount,
  writeArchitectureModel,
  type ArchSpec,
  type Quant,
} from '../fixtures/gguf/architectures';

const GiB = 2 ** 30;
const near = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance * expected, `${what}: ${actual} vs ${expected} (±${tolerance * 100}%)`);

describe('memory plan on published architectures', () => {
  let dir: string;
  const files = new Map<string, string>();
  const file = (key: keyof typeof ARCHITECTURES, quant: Quant): string => {
    const name = `${key}-${quant}`;
    let path = files.get(name);
    if (!path) {
      path = join(dir, `${name}.gguf`);
      writeArchitectureModel(path, ARCHITECTURES[key], quant);
      files.set(name, path);
    }
    return path;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plan-arch-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // Hand-computed: parameters from the published config, x 2 bytes in f16.
  const cases: Array<{ key: keyof typeof ARCHITECTURES; params: number; f16Gb: number }> = [
    { key: 'llama-3-8b', params: 8.03e9, f16Gb: 16.06 },
    { key: 'mistral-7b', params: 7.24e9, f16Gb: 14.48 },
    { key: 'phi-3-mini', params: 3.82e9, f16Gb: 7.64 },
    { key: 'qwen2.5-0.5b', params: 0.494e9, f16Gb: 0.988 },
  ];
  for (const c of cases) {
    it(`${c.key} f16: weights = 2 bytes x ${c.params / 1e9}B parameters, KV cache by formula, as node-llama-cpp estimates`, async () => {
      const spec: ArchSpec = ARCHITECTURES[c.key];
      near(parameterCount(spec), c.params, 0.005, 'parameters');
      const path = file(c.key, 'f16');
      const m = await ggufMemory(path, 4096);
      assert.ok(m, 'estimated');
      assert.equal(m.source, 'node-llama-cpp');
      near(m.weightsBytes, c.f16Gb * 1e9, 0.005, 'weights');
      near(m.weightsBytes / m.parameters, 2, 0.001, 'bytes per parameter');
      const ctx = Math.min(4096, spec.ctx);
      assert.equal(m.kvCacheBytes, kvCacheFormula(spec, ctx), 'KV cache');
      // node-llama-cpp's own estimate of the same file, loaded on the CPU.
      const insights = await GgufInsights.from(await readGgufFileInfo(path, { logWarnings: false }));
      near(
        m.weightsBytes,
        insights.estimateModelResourceRequirements({ gpuLayers: 0 }).cpuRam,
        0.001,
        'agrees with node-llama-cpp (weights)',
      );
      const ctxEstimate = insights.estimateContextResourceRequirements({ contextSize: ctx, modelGpuLayers: 0, sequences: 1 });
      assert.equal(
        m.kvCacheBytes + m.computeBytes,
        ctxEstimate.cpuRam + ctxEstimate.gpuVram,
        'context memory as node-llama-cpp estimates it',
      );
      assert.ok(m.computeBytes > 0 && m.computeBytes < m.weightsBytes, `compute buffers ${m.computeBytes}`);
    });
  }

  it('Q4_K_M: about 0.6 bytes per parameter (Mistral-7B 4.37 GB, as the published file)', async () => {
    for (const key of ['mistral-7b', 'llama-3-8b', 'phi-3-mini'] as const) {
      const m = (await ggufMemory(file(key, 'q4_k_m'), 2048))!;
      const bpp = m.weightsBytes / m.parameters;
      assert.ok(bpp > 0.55 && bpp < 0.62, `${key}: ${bpp.toFixed(3)} bytes per parameter`);
    }
    near((await ggufMemory(file('mistral-7b', 'q4_k_m'), 2048))!.weightsBytes, 4.37e9, 0.01, 'Mistral-7B Q4_K_M');
  });

  const threeOf = (quant: Quant) =>
    PoolConfig.parse({
      models: ['a', 'b', 'c'].map((id) => ({
        id: `mistral-${id}`,
        backend: 'llama.cpp',
        path: file('mistral-7b', quant),
        contextSize: 2048,
      })),
      daemon: { memoryBudgetMiB: 64 * 1024 },
    });

  it('three 7B f16 models on 2x24GiB: ~13.5 GiB of weights each, ~42 GB in all, placed across both GPUs and RAM', async () => {
    const r = await planPool(threeOf('f16'), { ramBytes: 64 * GiB, gpus: parseGpus('2x24GiB'), gpuSource: 'given' }, createBackend);
    for (const m of r.models) near(m.weightsBytes!, 13.49 * GiB, 0.005, `${m.id} weights`);
    near(r.totals.weightsBytes, 43.45e9, 0.01, 'weights in all');
    assert.ok(r.fits);
    const [a, b, c] = r.models as [(typeof r.models)[0], (typeof r.models)[0], (typeof r.models)[0]];
    assert.equal(a.placement, 'gpu0 32/32 layers');
    assert.equal(b.placement, 'gpu1 32/32 layers');
    // The third takes the layers that fit in what is left of gpu0, the rest in RAM.
    assert.match(c.placement ?? '', /^gpu[01] (\d+)\/32 layers$/);
    assert.ok(c.gpuLayers > 10 && c.gpuLayers < 32 && c.ramBytes > 0, JSON.stringify(c));
    const gpuDevices = r.devices.filter((d) => d.kind === 'gpu');
    assert.deepEqual(
      gpuDevices.map((d) => d.name),
      ['gpu0', 'gpu1'],
    );
    for (const d of gpuDevices) assert.ok(d.plannedBytes <= d.freeBytes, `${d.name}: ${d.plannedBytes}`);
    const withThird = gpuDevices.find((d) => c.placement?.startsWith(d.name))!;
    near(withThird.plannedBytes, 24 * GiB, 0.05, `${withThird.name} is nearly full`);
    assert.equal(r.devices.find((d) => d.kind === 'ram')!.plannedBytes, c.ramBytes);
  });

  it('the same three at Q4_K_M need under 15 GB and fit on one 24 GiB GPU; f16 on one GPU and 16 GiB of RAM does not fit, with what to change', async () => {
    const q4 = await planPool(threeOf('q4_k_m'), { ramBytes: 64 * GiB, gpus: parseGpus('24GiB'), gpuSource: 'given' }, createBackend);
    assert.ok(q4.totals.weightsBytes < 15e9, `${q4.totals.weightsBytes}`);
    assert.ok(
      q4.models.every((m) => m.placement === 'gpu0 32/32 layers'),
      JSON.stringify(q4.models.map((m) => m.placement)),
    );

    const cfg = threeOf('f16');
    cfg.daemon.memoryBudgetMiB = 16 * 1024;
    const tight = await planPool(cfg, { ramBytes: 64 * GiB, gpus: parseGpus('24GiB'), gpuSource: 'given' }, createBackend);
    assert.equal(tight.fits, false);
    const refused = tight.models.filter((m) => !m.fits);
    assert.ok(refused.length >= 1);
    // a on the GPU, b split (what VRAM is left, the rest in RAM), c all in RAM: over the budget.
    assert.deepEqual(
      refused.map((m) => m.id),
      ['mistral-c'],
    );
    assert.match(refused[0]!.reason ?? '', /^needs 13\.9 GiB, \d+\.\d GiB left of the 16 GiB budget after mistral-a, mistral-b$/);
    assert.match(refused[0]!.hint ?? '', /contextSize.*memoryBudgetMiB/);
  });

  it('servers that declare params and dtype appear in the plan on their own machine', async () => {
    const cfg = PoolConfig.parse({
      models: [{ id: 'vllm', backend: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', params: '7B', dtype: 'bf16' }],
    });
    const r = await planPool(cfg, { ramBytes: 64 * GiB, gpus: [], gpuSource: 'none' }, createBackend);
    assert.equal(r.models[0]!.declaredBytes, 14e9);
    assert.equal(r.totals.declaredRemoteBytes, 14e9);
    assert.equal(r.devices.find((d) => d.kind === 'ram')!.plannedBytes, 0, 'a server takes none of our memory');
  });
});

/**
 * `ensemble plan`: where a config's pool would go on this machine (or on the GPUs given), without
 * loading anything: the same inputs (planInputs.ts) and the same planner (memoryPlan.ts) the daemon
 * uses before each load, plus each model's breakdown (weights, KV cache, compute) for people, and
 * the bases held once for several LoRA adapter members (what that saves).
 */
import type { PoolConfig } from '../../protocol/config';
import type { BackendFactory } from '../backends/backend';
import { planMemory, type MemoryPlan, type ModelPlacement } from './memoryPlan';
export { detectGpus } from './machine';
import { planInputsOf } from './planInputs';
import type { SharedBase } from './adapterMemory';

export interface PlanMachine {
  /** RAM the pool may use before the budget: the machine's total RAM (or what `--ram` says). */
  ramBytes: number;
  gpus: Array<{ name: string; freeBytes: number }>;
  /** Where the GPU figures come from. */
  gpuSource: 'given' | 'detected' | 'none';
}

export interface PlannedModelRow extends ModelPlacement {
  backend: string;
  weightsBytes?: number;
  kvCacheBytes?: number;
  computeBytes?: number;
  totalBytes?: number;
  /** The gpuLayers the plan used (the config's, or "auto" for models set to 0 when planning for GPUs). */
  plannedGpuLayers?: number | 'auto';
  /** Why it could not be planned (no valid file yet). */
  note?: string;
  /** Set for a member whose base weights another member of its shared worker carries: the base's bytes it does not load again. */
  sharedBaseBytes?: number;
}

export interface PoolPlanReport {
  machine: PlanMachine & { budgetBytes: number };
  models: PlannedModelRow[];
  devices: MemoryPlan['devices'];
  totals: { weightsBytes: number; plannedBytes: number; declaredRemoteBytes: number; sharedSavingsBytes: number };
  /** Bases loaded once for several LoRA adapter members (one worker each): who shares, who carries the weights, the saving. */
  sharing: SharedBase[];
  fits: boolean;
}

/** "2x24GiB", "24GiB,16GiB", "80GB": GPUs named gpu0, gpu1, ... */
export function parseGpus(spec: string): Array<{ name: string; freeBytes: number }> {
  const out: Array<{ name: string; freeBytes: number }> = [];
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^(?:(\d+)\s*x\s*)?(\d+(?:\.\d+)?)\s*(GiB|GB|MiB|MB|TiB|TB)?$/i.exec(part);
    if (!m) throw new Error(`--gpus: cannot read "${part}" (expected e.g. 2x24GiB or 24GiB,16GiB)`);
    const bytes = parseSize(Number(m[2]), m[3] ?? 'GiB');
    for (let i = 0; i < Number(m[1] ?? 1); i++) out.push({ name: `gpu${out.length}`, freeBytes: bytes });
  }
  if (out.length === 0 || out.length > 64) throw new Error(`--gpus: expected 1 to 64 GPUs (got ${out.length})`);
  return out;
}

export function parseSize(n: number, unit: string): number {
  const units: Record<string, number> = { gib: 2 ** 30, gb: 1e9, mib: 2 ** 20, mb: 1e6, tib: 2 ** 40, tb: 1e12 };
  return Math.round(n * (units[unit.toLowerCase()] ?? 2 ** 30));
}

/** `factory` makes each model's backend (only asked for its memory needs: nothing loads). */
export async function planPool(
  config: PoolConfig,
  machine: PlanMachine,
  factory: BackendFactory,
  opts: { asConfigured?: boolean } = {},
): Promise<PoolPlanReport> {
  const budgetBytes =
    config.daemon.memoryBudgetMiB !== undefined ? config.daemon.memoryBudgetMiB * 2 ** 20 : Math.floor(0.9 * machine.ramBytes);
  const rows = new Map<string, Partial<PlannedModelRow>>();
  const local = new Set<string>();
  const planned = config.models.map((entry) => {
    const backend = factory(entry);
    const traits = backend.traits ?? { local: false, defaultConcurrency: 4 };
    if (traits.local) local.add(entry.id);
    return { entry, backend, traits };
  });
  let shared: Awaited<ReturnType<typeof planInputsOf>>;
  try {
    shared = await planInputsOf(planned);
  } finally {
    await Promise.all(planned.map((m) => m.backend.dispose().catch(() => undefined)));
  }
  const { inputs, needs: alone, charged, sharing } = shared;
  const byInput = new Map(inputs.map((i) => [i.id, i]));
  for (const { entry, backend } of planned) {
    const input = byInput.get(entry.id);
    // Planning for GPUs: models left at gpuLayers 0 (the default) are planned as "auto", what offload would give them.
    if (input?.kind === 'local' && machine.gpus.length > 0 && !opts.asConfigured && input.gpuLayers === 0) input.gpuLayers = 'auto';
    const needs = charged.get(entry.id);
    const total = needs ? needs.weightsBytes + needs.kvCacheBytes + (needs.computeBytes ?? 0) : undefined;
    const notLoadedAgain = needs ? (alone.get(entry.id)?.weightsBytes ?? 0) - needs.weightsBytes : 0;
    rows.set(entry.id, {
      backend: entry.backend,
      ...(needs
        ? { weightsBytes: needs.weightsBytes, kvCacheBytes: needs.kvCacheBytes, computeBytes: needs.computeBytes ?? 0, totalBytes: total }
        : {}),
      ...(notLoadedAgain > 0 ? { sharedBaseBytes: notLoadedAgain } : {}),
      ...(input?.kind === 'local' ? { plannedGpuLayers: input.gpuLayers } : {}),
      ...(input ? {} : { note: `no valid model file yet at ${backend.location} (fetched on first use when it has a url)` }),
    });
  }
  const plan = planMemory(inputs, { freeRamBytes: machine.ramBytes, gpuFreeBytes: 0, gpus: machine.gpus, budgetBytes });
  const byId = new Map(plan.models.map((p) => [p.id, p]));
  const models: PlannedModelRow[] = config.models.map((e) => {
    const placed = byId.get(e.id) ?? { id: e.id, local: local.has(e.id), fits: false, gpuLayers: 0, layers: 0, ramBytes: 0, vramBytes: 0 };
    return { ...placed, ...rows.get(e.id), backend: e.backend } as PlannedModelRow;
  });
  return {
    machine: { ...machine, budgetBytes },
    models,
    devices: plan.devices,
    totals: {
      weightsBytes: models.reduce((s, m) => s + (m.weightsBytes ?? 0), 0),
      plannedBytes: plan.plannedBytes,
      declaredRemoteBytes: models.reduce((s, m) => s + (m.declaredBytes ?? 0), 0),
      sharedSavingsBytes: shared.savedBytes,
    },
    sharing,
    fits: models.every((m) => m.fits || m.note !== undefined),
  };
}

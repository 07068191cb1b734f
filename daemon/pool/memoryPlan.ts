/**
 * The memory plan (pure, no I/O): where each in-process model goes and whether it fits, decided
 * before it is loaded, so a model that does not fit is refused with a reason instead of taking the
 * machine into swap or an out-of-memory kill.
 *
 * Simple on purpose, so every outcome can be explained in one sentence:
 * - models are placed greedily, models already loaded first (they keep their place), then the
 *   others in config order; HTTP-backend models take no local memory;
 * - a model needs its weights plus its KV cache (estimates from the GGUF header), split evenly
 *   over its layers;
 * - with a GPU, whole layers go to VRAM: `gpuLayers: "auto"` offloads as many as the VRAM left
 *   holds, a number offloads exactly that many (and does not fit when the VRAM left cannot hold
 *   them, as llama.cpp would refuse them too); the rest stays in RAM;
 * - RAM is bounded by the budget (`daemon.memoryBudgetMiB`) and by the RAM the machine has free,
 *   whichever is smaller. On unified-memory machines (Apple silicon) offloaded layers count
 *   against RAM too.
 * A model that was already loaded always "fits" (nothing is evicted), but takes its share.
 */
import { formatSize } from '../../common/formatSize';

export { formatSize };

export interface LocalModelInput {
  id: string;
  kind: 'local';
  /** Bytes of the weights (the GGUF file). */
  weightsBytes: number;
  /** Bytes of the KV cache for the model's context size. */
  kvCacheBytes: number;
  /** Compute buffers (logits, graph) for its context, when estimated. */
  computeBytes?: number;
  /** Repeating layers (GGUF block count). */
  layers: number;
  /** What the config asks for. */
  gpuLayers: number | 'auto';
  /** Already loaded: placed first and never refused. */
  loaded?: boolean;
}

export interface RemoteModelInput {
  id: string;
  kind: 'remote';
  /** What the member declares (`params` x bytes per parameter of its `dtype`): memory on its own server, not ours. */
  declaredBytes?: number;
}

export type PlanModelInput = LocalModelInput | RemoteModelInput;

export interface MachineMemory {
  /** RAM the daemon's in-process models may use, as the machine reports it free. */
  freeRamBytes: number;
  /** Free VRAM of the GPU in use; 0 when there is none. Ignored when `gpus` is given. */
  gpuFreeBytes: number;
  /** Several GPUs: each one's name and free VRAM. A model goes to the GPU with the most room left (one GPU per model). */
  gpus?: Array<{ name: string; freeBytes: number }>;
  /** The configured cap on the RAM in-process models take together. */
  budgetBytes: number;
  /** GPU memory is system RAM (Apple silicon): offloaded layers count against RAM as well. */
  unifiedMemory?: boolean;
}

export interface ModelPlacement {
  id: string;
  /** In-process (takes local memory) or served over HTTP (takes none). */
  local: boolean;
  fits: boolean;
  /** Layers offloaded to the GPU, of `layers`. */
  gpuLayers: number;
  layers: number;
  /** Bytes planned in RAM and in VRAM (0 for HTTP models and for models that do not fit). */
  ramBytes: number;
  vramBytes: number;
  /** "cpu" or "gpu 12/24 layers" ("gpu1 12/24 layers" with several GPUs), for models that fit; absent for HTTP models. */
  placement?: string;
  /** The GPU its offloaded layers go to, when any. */
  device?: string;
  /** HTTP models that declare their size: memory on their own server. */
  declaredBytes?: number;
  /** Why it does not fit, e.g. "needs 4.1 GiB, 2.3 GiB left of the 16 GiB budget after qwen, llama". */
  reason?: string;
  /** What to change so it fits. */
  hint?: string;
}

export interface MemoryPlan {
  /** In config order. */
  models: ModelPlacement[];
  budgetBytes: number;
  /** What bounded RAM: min(budget, free RAM). */
  ramLimitBytes: number;
  gpuFreeBytes: number;
  ramPlannedBytes: number;
  vramPlannedBytes: number;
  /** RAM plus VRAM of every model that fits. */
  plannedBytes: number;
  /** Per device: what it has free (RAM: the limit) and what the plan puts there. */
  devices: Array<{ name: string; kind: 'ram' | 'gpu'; freeBytes: number; plannedBytes: number }>;
}

const MiB = 2 ** 20;

function list(ids: readonly string[]): string {
  return ids.join(', ');
}

export function planMemory(models: readonly PlanModelInput[], machine: MachineMemory): MemoryPlan {
  const budget = Math.max(0, machine.budgetBytes);
  const freeRam = Math.max(0, machine.freeRamBytes);
  const ramLimit = Math.min(budget, freeRam);
  const budgetBinds = budget <= freeRam;
  const gpus = (machine.gpus ?? (machine.gpuFreeBytes > 0 ? [{ name: 'gpu', freeBytes: machine.gpuFreeBytes }] : []))
    .filter((g) => g.freeBytes > 0)
    .map((g) => ({ name: g.name, free: g.freeBytes, left: g.freeBytes }));
  const hasGpu = gpus.length > 0;
  let ramLeft = ramLimit;
  const placed: string[] = [];
  const out = new Map<string, ModelPlacement>();

  const order = [
    ...models.filter((m): m is LocalModelInput => m.kind === 'local' && m.loaded === true),
    ...models.filter((m): m is LocalModelInput => m.kind === 'local' && m.loaded !== true),
  ];
  for (const m of models) {
    if (m.kind !== 'remote') continue;
    const declared = m.declaredBytes !== undefined ? { declaredBytes: m.declaredBytes } : {};
    out.set(m.id, { id: m.id, local: false, fits: true, gpuLayers: 0, layers: 0, ramBytes: 0, vramBytes: 0, ...declared });
  }

  for (const m of order) {
    const layers = Math.max(1, Math.floor(m.layers));
    const total = Math.max(0, m.weightsBytes) + Math.max(0, m.kvCacheBytes) + Math.max(0, m.computeBytes ?? 0);
    // The GPU with the most room left takes this model's offloaded layers.
    const gpu = gpus.reduce<(typeof gpus)[number] | undefined>((best, g) => (!best || g.left > best.left ? g : best), undefined);
    const vramLeft = gpu?.left ?? 0;
    const perLayer = total / layers;
    const vramFor = (k: number): number => (k >= layers ? total : Math.ceil(perLayer * k));
    const after = placed.length ? ` after ${list(placed)}` : '';
    const refuse = (reason: string, hint: string): void => {
      out.set(m.id, { id: m.id, local: true, fits: false, gpuLayers: 0, layers, ramBytes: 0, vramBytes: 0, reason, hint });
    };

    const requested = m.gpuLayers;
    let k = 0;
    if (hasGpu && requested === 'auto') {
      k = perLayer > 0 ? Math.min(layers, Math.floor(vramLeft / perLayer)) : layers;
      while (k > 0 && vramFor(k) > vramLeft) k--; // rounding
    } else if (hasGpu && typeof requested === 'number' && requested > 0) {
      k = Math.min(layers, Math.floor(requested));
      if (vramFor(k) > vramLeft && !m.loaded) {
        let fitting = perLayer > 0 ? Math.min(k, Math.floor(vramLeft / perLayer)) : k;
        while (fitting > 0 && vramFor(fitting) > vramLeft) fitting--;
        refuse(
          `needs ${formatSize(vramFor(k))} of VRAM for ${k}/${layers} layers on the GPU, ${formatSize(vramLeft)} of VRAM left${after}`,
          `set "gpuLayers" of "${m.id}" to "auto" or at most ${fitting}, lower its "contextSize", or remove a model listed before it`,
        );
        continue;
      }
    }
    const vram = vramFor(k);
    const ram = total - vram;
    const ramCharge = ram + (machine.unifiedMemory ? vram : 0);

    if (ramCharge > ramLeft && !m.loaded) {
      const onGpu = k > 0 ? ` in RAM (besides ${k}/${layers} layers on the GPU)` : '';
      const left = Math.max(0, ramLeft);
      const reason = budgetBinds
        ? placed.length
          ? `needs ${formatSize(ramCharge)}${onGpu}, ${formatSize(left)} left of the ${formatSize(budget)} budget${after}`
          : `needs ${formatSize(ramCharge)}${onGpu}, more than the ${formatSize(budget)} budget`
        : placed.length
          ? `needs ${formatSize(ramCharge)}${onGpu}, ${formatSize(left)} left of the machine's ${formatSize(freeRam)} free RAM${after}`
          : `needs ${formatSize(ramCharge)}${onGpu}, more than the ${formatSize(freeRam)} of RAM free on this machine`;
      const fixes = [`lower "contextSize" of "${m.id}" (its KV cache takes ${formatSize(m.kvCacheBytes)})`];
      if (budgetBinds) fixes.push(`raise "daemon.memoryBudgetMiB" (now ${Math.floor(budget / MiB)})`);
      else fixes.push('free memory on this machine');
      if (hasGpu && m.gpuLayers === 0 && vramLeft > 0)
        fixes.push(`set "gpuLayers" of "${m.id}" to "auto" (${formatSize(vramLeft)} of VRAM left)`);
      fixes.push(placed.length ? `or remove a member (earlier models take memory first: ${list(placed)})` : 'or use a smaller model');
      refuse(reason, fixes.join(', '));
      continue;
    }

    ramLeft -= ramCharge;
    if (gpu && k > 0) gpu.left -= vram;
    placed.push(m.id);
    out.set(m.id, {
      id: m.id,
      local: true,
      fits: true,
      gpuLayers: k,
      layers,
      ramBytes: ram,
      vramBytes: vram,
      placement: k === 0 ? 'cpu' : `${gpu!.name} ${k}/${layers} layers`,
      ...(k > 0 ? { device: gpu!.name } : {}),
    });
  }

  const result = models.map((m) => out.get(m.id)!);
  const ramPlannedBytes = result.reduce((s, p) => s + (p.fits ? p.ramBytes : 0), 0);
  const vramPlannedBytes = result.reduce((s, p) => s + (p.fits ? p.vramBytes : 0), 0);
  return {
    models: result,
    budgetBytes: budget,
    ramLimitBytes: ramLimit,
    gpuFreeBytes: gpus.reduce((sum, g) => sum + g.free, 0),
    ramPlannedBytes,
    vramPlannedBytes,
    plannedBytes: ramPlannedBytes + vramPlannedBytes,
    devices: [
      { name: 'ram', kind: 'ram', freeBytes: ramLimit, plannedBytes: ramPlannedBytes },
      ...gpus.map((g) => ({ name: g.name, kind: 'gpu' as const, freeBytes: g.free, plannedBytes: g.free - g.left })),
    ],
  };
}

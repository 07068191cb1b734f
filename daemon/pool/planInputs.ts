/**
 * What the memory planner is given for each model, the same for the daemon before a load and for
 * `ensemble plan`: in-process models' needs from their backend (read from the file's header,
 * nothing loaded), with a base shared by LoRA adapter members charged once per group
 * (adapterMemory.ts); servers take nothing here, but may declare `params` and `dtype` to show what
 * they take on their own machine.
 */
import type { ModelEntry } from '../../protocol/config';
import type { Backend, BackendTraits, MemoryNeeds } from '../backends/backend';
import { shareBaseWeights, type BaseSharingInput, type SharedBase } from './adapterMemory';
import type { PlanModelInput } from './memoryPlan';

/** Bytes per parameter of each weights type (K-quants: llama.cpp's average bits per weight of the mix / 8). */
export const BYTES_PER_PARAM: Record<string, number> = {
  f32: 4,
  f16: 2,
  bf16: 2,
  fp8: 1,
  int8: 1,
  q8_0: 34 / 32,
  q6_k: 210 / 256,
  q5_k_m: 0.71,
  q4_k_m: 0.6,
  q4_0: 18 / 32,
  awq: 0.55,
  gptq: 0.55,
};

/** "7B" -> 7e9, "500M" -> 5e8, numbers as they are. */
export function parseParams(p: number | string | undefined): number | undefined {
  if (p === undefined || typeof p === 'number') return p;
  const m = /^(\d+(?:\.\d+)?)([MBT])$/i.exec(p);
  if (!m) return undefined;
  return Number(m[1]) * { M: 1e6, B: 1e9, T: 1e12 }[m[2]!.toUpperCase() as 'M' | 'B' | 'T'];
}

/** A server's declared weights: params x bytes per parameter of its dtype (f16 when it names none). */
export function declaredBytes(entry: ModelEntry): number | undefined {
  if (!('params' in entry)) return undefined;
  const params = parseParams(entry.params);
  return params === undefined ? undefined : Math.round(params * (BYTES_PER_PARAM[entry.dtype ?? 'f16'] ?? 2));
}

export interface PlannedModel {
  entry: ModelEntry;
  backend: Backend;
  traits: BackendTraits;
}

/** The planner's input for one model, and its needs (for displays); undefined input: no valid file yet (it takes nothing). */
export async function planInputOf(m: PlannedModel, loaded = false): Promise<{ input?: PlanModelInput; needs?: MemoryNeeds }> {
  const id = m.entry.id;
  if (!m.traits.local) {
    const bytes = declaredBytes(m.entry);
    return { input: { id, kind: 'remote', ...(bytes !== undefined ? { declaredBytes: bytes } : {}) } };
  }
  const needs = await m.backend.memoryNeeds?.();
  if (!needs) return {};
  const { sharedBase: _shared, ...own } = needs;
  return { input: { id, kind: 'local', ...own, loaded }, needs };
}

export interface PlanInputs {
  /** The planner's inputs, in the order given; models with no valid file yet are left out (they take nothing). */
  inputs: PlanModelInput[];
  /** What each in-process model would need alone (from its file's header). */
  needs: Map<string, MemoryNeeds>;
  /** What the plan charges each in-process model: a shared base's weights on one member of its group only. */
  charged: Map<string, MemoryNeeds>;
  /** Bases held once for two or more members, and what that saves. */
  sharing: SharedBase[];
  savedBytes: number;
}

/** Every model's planner input, members sharing a loaded base charged its weights once (the daemon and `ensemble plan` both). */
export async function planInputsOf(models: ReadonlyArray<PlannedModel & { loaded?: boolean }>): Promise<PlanInputs> {
  const each: Array<{ input?: PlanModelInput; needs?: MemoryNeeds }> = [];
  for (const m of models) each.push(await planInputOf(m, m.loaded ?? false));
  const local: BaseSharingInput[] = [];
  for (const { input, needs } of each) {
    if (input?.kind !== 'local') continue;
    const shared = needs?.sharedBase;
    const adapterBytes = Math.max(0, shared?.adapterBytes ?? 0);
    local.push(
      shared
        ? { ...input, weightsBytes: input.weightsBytes - adapterBytes, shareKey: shared.key, basePath: shared.basePath, adapterBytes }
        : input,
    );
  }
  const { inputs: sharedInputs, sharing, savedBytes } = shareBaseWeights(local);
  const byId = new Map(sharedInputs.map((i) => [i.id, i]));
  const needs = new Map<string, MemoryNeeds>();
  const charged = new Map<string, MemoryNeeds>();
  const inputs: PlanModelInput[] = [];
  models.forEach((m, i) => {
    const { input, needs: alone } = each[i]!;
    if (!input) return;
    const mine = input.kind === 'local' ? (byId.get(input.id) ?? input) : input;
    inputs.push(mine);
    if (!alone) return;
    needs.set(m.entry.id, alone);
    charged.set(m.entry.id, mine.kind === 'local' ? { ...alone, weightsBytes: mine.weightsBytes } : alone);
  });
  return { inputs, needs, charged, sharing, savedBytes };
}

/**
 * Memory accounting for members that share a base model (pure, no I/O): LoRA adapter members over
 * one base GGUF run in one worker process (daemon/worker/workerGroups.ts), which loads the base's
 * weights once (daemon/backends/sharedModels.ts); each member adds only its own KV cache and its
 * adapter file.
 *
 * `shareBaseWeights` rewrites the memory plan's inputs so that planMemory counts it that way: in
 * each group (members with the same `shareKey` and GPU offload), the member that loads the base
 * first (a loaded one, else the first in config order, the order planMemory places models in)
 * carries the base's weights; the others carry only their adapter and KV cache. A member without a
 * `shareKey` (a plain model: a worker of its own) carries its whole weights. `describeSharing`
 * words it for `ensemble plan`.
 */
import { formatSize } from '../../common/formatSize';
import type { LocalModelInput } from './memoryPlan';

export interface BaseSharingInput extends LocalModelInput {
  /** Members with the same key (and GPU offload) hold one loaded base; absent: it loads its own. */
  shareKey?: string;
  /** The base GGUF file, for displays. */
  basePath?: string;
  /** Bytes of the member's LoRA adapter file (not in `weightsBytes`); absent for a plain model. */
  adapterBytes?: number;
}

export interface SharedBase {
  basePath: string;
  /** Members over this base, in config order; `carrier` is the one charged with the weights. */
  members: string[];
  carrier: string;
  baseWeightsBytes: number;
  adapterBytes: number;
  /** What loading the base once saves against loading it for every member. */
  savedBytes: number;
}

export interface BaseSharing {
  inputs: LocalModelInput[];
  /** Bases with two or more members. */
  sharing: SharedBase[];
  savedBytes: number;
}

export function shareBaseWeights(models: readonly BaseSharingInput[]): BaseSharing {
  const groups = new Map<string, BaseSharingInput[]>();
  for (const m of models) {
    const key = m.shareKey === undefined ? `own\u0000${m.id}` : `${m.gpuLayers}\u0000${m.shareKey}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const carriers = new Set<string>();
  const sharing: SharedBase[] = [];
  for (const members of groups.values()) {
    const carrier = members.find((m) => m.loaded) ?? members[0]!;
    carriers.add(carrier.id);
    if (members.length < 2) continue;
    const baseWeightsBytes = Math.max(0, carrier.weightsBytes);
    sharing.push({
      basePath: carrier.basePath ?? carrier.shareKey ?? '',
      members: members.map((m) => m.id),
      carrier: carrier.id,
      baseWeightsBytes,
      adapterBytes: members.reduce((s, m) => s + Math.max(0, m.adapterBytes ?? 0), 0),
      savedBytes: baseWeightsBytes * (members.length - 1),
    });
  }
  const inputs = models.map(({ basePath: _base, shareKey: _key, adapterBytes, ...m }): LocalModelInput => {
    const adapter = Math.max(0, adapterBytes ?? 0);
    return { ...m, weightsBytes: (carriers.has(m.id) ? Math.max(0, m.weightsBytes) : 0) + adapter };
  });
  return { inputs, sharing, savedBytes: sharing.reduce((s, g) => s + g.savedBytes, 0) };
}

/** One line per shared base for `ensemble plan`, e.g. "docs, code share base.gguf (1 GiB, counted once): saves 1 GiB". */
export function describeSharing(sharing: readonly SharedBase[], fileName: (path: string) => string = (p) => p): string[] {
  return sharing.map((g) => {
    const adapters = g.adapterBytes > 0 ? ` plus ${formatSize(g.adapterBytes)} of adapters` : '';
    return `${g.members.join(', ')} share ${fileName(g.basePath)} (${formatSize(g.baseWeightsBytes)}, counted once${adapters}): saves ${formatSize(g.savedBytes)}`;
  });
}

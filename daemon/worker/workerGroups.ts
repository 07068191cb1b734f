/**
 * Which members share a worker process: LoRA adapter members over the same base file (same
 * resolved path) with the same GPU offload setting run in ONE worker, which loads the base once and
 * gives each member its own context with its adapter (daemon/backends/sharedModels.ts). Every other
 * in-process model keeps a worker of its own, so a model file that aborts llama.cpp takes down only
 * its own worker. The memory plan groups members with the same key (llamaCppMemory.ts), so what it
 * charges is what the processes hold.
 */
import path from 'node:path';
import type { ModelEntry } from '../../protocol/config';
import { WorkerProcess, type WorkerProcessOptions } from './workerProcess';

/** The key of the shared worker `entry` runs in; undefined: a worker of its own. */
export function workerGroupKey(entry: ModelEntry): string | undefined {
  if (entry.backend !== 'llama.cpp' || !entry.lora || !entry.path) return undefined;
  return `lora-base\u0000${entry.gpuLayers}\u0000${path.resolve(entry.path)}`;
}

/** The live shared workers, by group key; a worker leaves once its last member is disposed. */
export class WorkerGroups {
  private readonly groups = new Map<string, WorkerProcess>();

  constructor(private readonly opts: Omit<WorkerProcessOptions, 'onEmpty'> = {}) {}

  /** The worker `entry` should attach to: the group's (created on first use), or undefined for a worker of its own. */
  processFor(entry: ModelEntry): WorkerProcess | undefined {
    const key = workerGroupKey(entry);
    if (key === undefined) return undefined;
    let worker = this.groups.get(key);
    if (!worker) {
      const created: WorkerProcess = new WorkerProcess({
        ...this.opts,
        onEmpty: () => {
          if (this.groups.get(key) === created) this.groups.delete(key);
        },
      });
      this.groups.set(key, created);
      worker = created;
    }
    return worker;
  }

  /** How many shared workers exist (started or not), for tests. */
  get size(): number {
    return this.groups.size;
  }
}

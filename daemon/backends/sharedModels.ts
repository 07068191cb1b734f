/**
 * Loaded llama.cpp models shared between backends of one process, so that members which are one
 * base model plus different LoRA adapters hold the base's weights once: each member gets its own
 * context (its own KV cache and its own adapter), all of them over one LlamaModel.
 *
 * Reference-counted: the model is disposed when the last member using it releases it. Keyed by the
 * Llama instance (CPU and GPU bindings are separate), the file and the GPU layers (a different
 * offload is a different load).
 */
import type { Llama, LlamaModel } from 'node-llama-cpp';

interface Entry {
  model: Promise<LlamaModel>;
  users: number;
}

const byLlama = new WeakMap<Llama, Map<string, Entry>>();

export interface ModelLease {
  model: LlamaModel;
  /** Members holding this model when this one acquired it, this one included (the first one pays for the weights). */
  users: number;
  /** Gives the model back; the last release disposes it. Idempotent. */
  release(): Promise<void>;
}

/**
 * `gpuLayers` is what this load offloads (the memory plan's figure); `shareAs` is the offload
 * setting members are grouped by (their config's), so members of one group share one load even when
 * the plan gave each of them another figure: the first member's load decides.
 */
export async function acquireModel(
  llama: Llama,
  modelPath: string,
  gpuLayers: number | 'auto',
  shareAs: number | 'auto' = gpuLayers,
): Promise<ModelLease> {
  let models = byLlama.get(llama);
  if (!models) byLlama.set(llama, (models = new Map()));
  const key = `${shareAs}\u0000${modelPath}`;
  let entry = models.get(key);
  if (!entry) {
    const fresh: Entry = { model: llama.loadModel({ modelPath, gpuLayers }), users: 0 };
    // A failed load is forgotten at once, so the next member (or a fixed file) tries again.
    fresh.model.catch(() => models.get(key) === fresh && models.delete(key));
    models.set(key, fresh);
    entry = fresh;
  }
  const users = ++entry.users; // counted now: members acquiring together must not all see themselves as followers
  const held = entry;
  let model: LlamaModel;
  try {
    model = await held.model;
  } catch (e) {
    held.users--;
    throw e;
  }
  let released = false;
  return {
    model,
    users,
    async release() {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      if (models.get(key) === held) models.delete(key);
      await model.dispose().catch(() => undefined);
    },
  };
}

/** How many members share each loaded model right now (file path -> users), for status and tests. */
export function sharedModelUsers(llama: Llama): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, entry] of byLlama.get(llama) ?? []) out.set(key.slice(key.indexOf('\u0000') + 1), entry.users);
  return out;
}

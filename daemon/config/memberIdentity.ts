/**
 * When a member is replaced in config.json (same id, another entry), does what the daemon learned
 * about it (feedback history, calibration, learned weights) still apply? Only when the config says
 * it is the same model (pure):
 * - llama.cpp: the same `sha256` when both entries give one; without it, the same file path (a file
 *   swapped in place under the same name cannot be told apart; set "sha256" to be sure). A LoRA
 *   adapter is part of the model: another adapter or scale is another model.
 * - OpenAI-compatible and Ollama: the same model name the server serves (the LoRA adapter included);
 *   moving the server to another URL keeps the model.
 * Another backend is always another model. Settings that do not change the model (timeouts,
 * threads, context size, GPU layers, weight, concurrency) never reset anything.
 *
 * On reload, `replacedModels(before, after)` lists the ids
 * whose recorded feedback, calibration and fitted weights must not be applied to the new entry.
 */
import type { ModelEntry, PoolConfig } from '../../protocol/config';
import { servedModelName } from '../backends/servedLora';

export function modelIdentity(entry: ModelEntry): string {
  switch (entry.backend) {
    case 'llama.cpp': {
      const file = entry.sha256 ? `sha256:${entry.sha256}` : `path:${entry.path ?? entry.url ?? ''}`;
      return `llama.cpp|${file}${entry.lora ? `|lora:${entry.lora.path}@${entry.lora.scale}` : ''}`;
    }
    case 'openai': {
      const lora = entry.lora?.id !== undefined ? `|lora-id:${entry.lora.id}@${entry.lora.scale}` : '';
      return `openai|model:${servedModelName(entry)}${lora}`;
    }
    case 'ollama':
      return `ollama|model:${entry.model}`;
  }
}

export interface Continuity {
  sameModel: boolean;
  /** Why, in words, for the log: "path changed from a.gguf to b.gguf and no sha256 says it is the same file". */
  reason: string;
}

export function continuity(before: ModelEntry, after: ModelEntry): Continuity {
  if (before.backend !== after.backend) return { sameModel: false, reason: `backend changed from ${before.backend} to ${after.backend}` };
  if (before.backend === 'llama.cpp' && after.backend === 'llama.cpp' && before.sha256 && after.sha256) {
    if (before.sha256 !== after.sha256) return { sameModel: false, reason: 'sha256 changed: another file' };
  }
  const a = modelIdentity(before);
  const b = modelIdentity(after);
  if (a === b) return { sameModel: true, reason: 'same model' };
  return { sameModel: false, reason: `model changed (${a} -> ${b})` };
}

/** Ids present before and after whose entry now names another model: their learned state must start afresh. */
export function replacedModels(
  before: Pick<PoolConfig, 'models'>,
  after: Pick<PoolConfig, 'models'>,
): Array<{ id: string; reason: string }> {
  const old = new Map(before.models.map((m) => [m.id, m]));
  const out: Array<{ id: string; reason: string }> = [];
  for (const m of after.models) {
    const prev = old.get(m.id);
    if (!prev) continue;
    const c = continuity(prev, m);
    if (!c.sameModel) out.push({ id: m.id, reason: c.reason });
  }
  return out;
}

/**
 * Checks a LoRA adapter GGUF against its base model before llama.cpp sees it, so a wrong file gets
 * a sentence that names the file and what is wrong (llama.cpp itself only logs "failed to apply
 * lora adapter" and node-llama-cpp reports a bare failure).
 *
 * The rules are llama.cpp's own loader's (src/llama-adapter.cpp): general.type "adapter",
 * adapter.type "lora", the base's general.architecture, and tensors in pairs `W.lora_a` / `W.lora_b`
 * (norm vectors `*_norm.weight` are ignored) where W is a tensor of the base, lora_a is
 * [W.ne0, rank] and lora_b [rank, W.ne1] (for token_embd the two are flipped).
 */
import { stat } from 'node:fs/promises';
import type { GgufSummary } from '../gguf/ggufCheck';

export type LoraCheck = { ok: true; bytes: number; rank: number; tensors: number } | { ok: false; reason: string };

interface TensorShape {
  name: string;
  dims: readonly number[];
}

export async function checkLoraAdapter(path: string, base: Pick<GgufSummary, 'architecture' | 'tensors'>): Promise<LoraCheck> {
  let bytes: number;
  try {
    bytes = (await stat(path)).size;
  } catch {
    return { ok: false, reason: `LoRA adapter file not found: ${path}` };
  }
  let metadata: Record<string, unknown>;
  let tensorInfo: TensorShape[];
  try {
    const { readGgufFileInfo } = await import('node-llama-cpp');
    const info = await readGgufFileInfo(path, { sourceType: 'filesystem', logWarnings: false });
    metadata = info.metadata as unknown as Record<string, unknown>;
    tensorInfo = (info.fullTensorInfo ?? info.tensorInfo ?? []).map((t) => ({ name: t.name, dims: t.dimensions.map(Number) }));
  } catch (e) {
    return { ok: false, reason: `${path} is not a readable GGUF file (${e instanceof Error ? e.message : String(e)})` };
  }
  const problem = loraProblem(metadata, tensorInfo, base);
  if (problem) return { ok: false, reason: `${path}: ${problem}` };
  const rank = tensorInfo.find((t) => t.name.endsWith('.lora_a'))?.dims[1] ?? 0;
  return { ok: true, bytes, rank, tensors: tensorInfo.length };
}

/** What makes `metadata` + `tensors` unusable as a LoRA adapter over `base`, or null. Pure, table-tested. */
export function loraProblem(
  metadata: Record<string, unknown>,
  tensors: readonly TensorShape[],
  base: Pick<GgufSummary, 'architecture' | 'tensors'>,
): string | null {
  const general = asRecord(metadata.general);
  const adapter = asRecord(metadata.adapter);
  if (general.type !== 'adapter') {
    return `general.type is ${JSON.stringify(general.type ?? null)}, expected "adapter" (is this a base model rather than a LoRA adapter?)`;
  }
  if (adapter.type !== 'lora') return `adapter.type is ${JSON.stringify(adapter.type ?? null)}, expected "lora"`;
  if (general.architecture !== base.architecture) {
    return `the adapter is for architecture ${JSON.stringify(general.architecture ?? null)}, the base model is "${base.architecture}"`;
  }
  const pairs = new Map<string, { a?: TensorShape; b?: TensorShape }>();
  for (const t of tensors) {
    const m = /^(.*)\.lora_([ab])$/.exec(t.name);
    if (!m) {
      if (t.name.endsWith('_norm.weight')) continue;
      return `tensor "${t.name}" is not a LoRA tensor (expected names ending in .lora_a or .lora_b)`;
    }
    const pair = pairs.get(m[1]!) ?? {};
    pair[m[2] as 'a' | 'b'] = t;
    pairs.set(m[1]!, pair);
  }
  if (pairs.size === 0) return 'the adapter has no LoRA tensors';
  for (const [name, { a, b }] of pairs) {
    if (!a || !b) return `tensor "${name}" has ${a ? 'lora_a' : 'lora_b'} but not ${a ? 'lora_b' : 'lora_a'}`;
    const w = base.tensors.get(name)?.dims;
    if (!w) return `tensor "${name}" does not exist in the base model (an adapter for another base?)`;
    const fits = name.endsWith('token_embd.weight')
      ? w[0] === b.dims[1] && w[1] === a.dims[1]
      : w[0] === a.dims[0] && w[1] === b.dims[1] && a.dims[1] === b.dims[0];
    if (!fits) {
      return `tensor "${name}" has lora_a [${a.dims.join(', ')}] and lora_b [${b.dims.join(', ')}], which do not fit the base's [${w.join(', ')}]`;
    }
  }
  return null;
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

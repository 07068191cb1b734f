/**
 * An in-process llama.cpp model's memory, from its GGUF header without loading it: the file is
 * first vetted by our own header check (daemon/gguf/ggufCheck.ts: a hostile file is refused before any native
 * code reads it), then node-llama-cpp's own reader (`readGgufFileInfo`) and estimator
 * (`GgufInsights`) give the weights (every tensor's real size for its ggml type) and the context's
 * memory for its size and sequences; the KV cache (f16 K and V) is split out of the latter so the
 * plan can say what to change, and the rest is compute buffers (logits, graph). Cached while the
 * file is unchanged. The daemon's loads and `ensemble plan` both use this.
 */
import fs from 'node:fs';
import type { LlamaCppModelEntry } from '../../protocol/config';
import type { MemoryNeeds } from './backend';
import { checkGguf, kvCacheBytes } from '../gguf/ggufCheck';

export interface GgufMemory {
  weightsBytes: number;
  kvCacheBytes: number;
  computeBytes: number;
  /** Repeating layers (blocks). */
  layers: number;
  parameters: number;
  /** The model's trained context; the context used is capped to it. */
  trainContextSize: number;
  contextSize: number;
  /** "node-llama-cpp" when its estimator ran; "header" when only our own header check could (file size + KV cache). */
  source: 'node-llama-cpp' | 'header';
}

const cache = new Map<string, { key: string; value: GgufMemory | undefined }>();

/** Memory for `path` at `contextSize` tokens in `sequences` parallel sequences; undefined when there is no valid file. */
export async function ggufMemory(path: string, contextSize: number, sequences = 1): Promise<GgufMemory | undefined> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(path);
  } catch {
    return undefined;
  }
  const key = `${st.size}:${st.mtimeMs}:${contextSize}:${sequences}`;
  const hit = cache.get(path);
  if (hit?.key === key) return hit.value;
  const value = await estimate(path, contextSize, sequences);
  if (cache.size > 256) cache.clear();
  cache.set(path, { key, value });
  return value;
}

async function estimate(path: string, requestedContext: number, sequences: number): Promise<GgufMemory | undefined> {
  const check = await checkGguf(path);
  if (!check.ok) return undefined;
  const s = check.summary;
  const contextSize = Math.min(requestedContext, s.contextLength); // as the backend loads it
  const kv = kvCacheBytes(s, contextSize, sequences);
  const header: GgufMemory = {
    weightsBytes: s.fileBytes,
    kvCacheBytes: kv,
    computeBytes: 0,
    layers: s.blockCount,
    parameters: 0,
    trainContextSize: s.contextLength,
    contextSize,
    source: 'header',
  };
  try {
    const { readGgufFileInfo, GgufInsights } = await import('node-llama-cpp');
    const info = await readGgufFileInfo(path, {
      logWarnings: false,
      ignoreKeys: ['tokenizer.ggml.merges', 'tokenizer.ggml.scores', 'tokenizer.ggml.token_type'],
    });
    const insights = await GgufInsights.from(info);
    // The synchronous estimators compute from the header in JS; the V2 ones would load the model natively.
    const context = insights.estimateContextResourceRequirements({ contextSize, modelGpuLayers: 0, sequences });
    const contextBytes = context.cpuRam + context.gpuVram;
    return {
      ...header,
      weightsBytes: insights.modelSize,
      computeBytes: Math.max(0, contextBytes - kv),
      parameters: insights.totalParameters,
      source: 'node-llama-cpp',
    };
  } catch {
    return header;
  }
}

/**
 * The plan's inputs for one in-process member: its base's weights plus its LoRA adapter file, its
 * KV cache and compute buffers. `shareKey` (daemon/worker/workerGroups.ts) marks adapter members
 * that run in one worker over one loaded base: the plan then charges the base's weights once per
 * group (daemon/pool/adapterMemory.ts), as that worker holds them once.
 */
export async function llamaCppMemoryNeeds(entry: LlamaCppModelEntry, shareKey?: string): Promise<MemoryNeeds | undefined> {
  const m = entry.path ? await ggufMemory(entry.path, entry.contextSize) : undefined;
  if (!m || !entry.path) return undefined;
  const adapterBytes = entry.lora
    ? await fs.promises.stat(entry.lora.path).then(
        (st) => st.size,
        () => 0,
      )
    : 0;
  return {
    weightsBytes: m.weightsBytes + adapterBytes,
    kvCacheBytes: m.kvCacheBytes,
    computeBytes: m.computeBytes,
    layers: m.layers,
    gpuLayers: entry.gpuLayers,
    ...(shareKey !== undefined ? { sharedBase: { key: shareKey, basePath: entry.path, adapterBytes } } : {}),
  };
}

/** An in-process llama.cpp model's memory plan inputs, from its GGUF header (read in JS, cached while the file is unchanged). */
import fs from 'node:fs';
import type { LlamaCppModelEntry } from '../../protocol/config';
import type { MemoryNeeds } from './backend';
import { checkGguf, estimateMemoryBytes, kvCacheBytes, type GgufSummary } from './ggufCheck';

const summaries = new Map<string, { size: number; mtimeMs: number; summary: GgufSummary }>();

/** The GGUF header of a model's file; undefined when there is no valid file yet. */
export async function cachedSummary(path: string): Promise<GgufSummary | undefined> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(path);
  } catch {
    return undefined;
  }
  const cached = summaries.get(path);
  if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached.summary;
  const check = await checkGguf(path);
  if (!check.ok) {
    summaries.delete(path);
    return undefined;
  }
  if (summaries.size > 256) summaries.clear();
  summaries.set(path, { size: st.size, mtimeMs: st.mtimeMs, summary: check.summary });
  return check.summary;
}

export async function llamaCppMemoryNeeds(entry: LlamaCppModelEntry): Promise<MemoryNeeds | undefined> {
  const summary = entry.path ? await cachedSummary(entry.path) : undefined;
  if (!summary) return undefined;
  const contextSize = Math.min(entry.contextSize, summary.contextLength); // as the backend loads it
  const total = estimateMemoryBytes(summary, contextSize);
  const kv = kvCacheBytes(summary, contextSize);
  return { weightsBytes: total - kv, kvCacheBytes: kv, layers: summary.blockCount, gpuLayers: entry.gpuLayers };
}

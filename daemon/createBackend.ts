/**
 * The one place that maps a config entry to its backend. In-process models run in supervised
 * worker processes (daemon/worker/), so no model file can take the daemon down: a worker of its own
 * for each plain model, one worker per base file for LoRA adapter members over it (workerGroups.ts).
 */
import { WorkerBackend } from './worker/workerBackend';
import { WorkerGroups, workerGroupKey } from './worker/workerGroups';
import type { BackendFactory } from './backends/backend';
import { llamaCppMemoryNeeds } from './backends/llamaCppMemory';
import { OllamaBackend } from './backends/ollama';
import { OpenAiBackend } from './backends/openai';

/** The daemon's shared workers (one per base file with adapter members). */
const groups = new WorkerGroups();

export const createBackend: BackendFactory = (entry, ctx = {}) => {
  switch (entry.backend) {
    case 'llama.cpp': {
      const download =
        entry.url && entry.path
          ? {
              url: entry.url,
              path: entry.path,
              ...(entry.sha256 ? { sha256: entry.sha256 } : {}),
              ...(entry.sizeBytes ? { sizeBytes: entry.sizeBytes } : {}),
            }
          : undefined;
      const pinned = entry.path && entry.sha256 ? { path: entry.path, sha256: entry.sha256 } : undefined;
      const shared = groups.processFor(entry);
      // One evaluation at a time per model: its one context sequence on the CPU it shares with the others.
      return new WorkerBackend(
        entry,
        { defaultConcurrency: 1, ...(download ? { download } : {}), ...(pinned ? { pinned } : {}) },
        {
          log: (line, label) => ctx.workerLog?.(label, line),
          memoryNeeds: () => llamaCppMemoryNeeds(entry, workerGroupKey(entry)),
          ...(shared ? { process: shared } : {}),
        },
      );
    }
    case 'openai':
      return new OpenAiBackend(entry);
    case 'ollama':
      return new OllamaBackend(entry);
  }
};

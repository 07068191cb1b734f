/**
 * The one place that maps a config entry to its backend. In-process models run in a supervised
 * worker process each (daemon/worker/), so no model file can take the daemon down.
 */
import { WorkerBackend } from './worker/workerBackend';
import type { BackendFactory } from './backends/backend';
import { llamaCppMemoryNeeds } from './backends/llamaCppMemory';
import { OllamaBackend } from './backends/ollama';
import { OpenAiBackend } from './backends/openai';

export const createBackend: BackendFactory = (entry, ctx = {}) => {
  switch (entry.backend) {
    case 'llama.cpp': {
      const download =
        entry.url && entry.path ? { url: entry.url, path: entry.path, ...(entry.sha256 ? { sha256: entry.sha256 } : {}) } : undefined;
      // One evaluation at a time per model: its one context sequence on the CPU it shares with the others.
      return new WorkerBackend(
        entry,
        { defaultConcurrency: 1, ...(download ? { download } : {}) },
        {
          log: (line) => ctx.workerLog?.(entry.id, line),
          memoryNeeds: () => llamaCppMemoryNeeds(entry),
        },
      );
    }
    case 'openai':
      return new OpenAiBackend(entry);
    case 'ollama':
      return new OllamaBackend(entry);
  }
};

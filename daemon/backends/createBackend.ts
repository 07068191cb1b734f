/** The one place that maps a config entry to its backend. */
import type { ModelEntry } from '../../protocol/config';
import type { Backend } from './backend';
import { LlamaCppBackend } from './llamaCpp';
import { OllamaBackend } from './ollama';
import { OpenAiBackend } from './openai';

export type BackendFactory = (entry: ModelEntry) => Backend;

export const createBackend: BackendFactory = (entry) => {
  switch (entry.backend) {
    case 'llama.cpp':
      return new LlamaCppBackend(entry);
    case 'openai':
      return new OpenAiBackend(entry);
    case 'ollama':
      return new OllamaBackend(entry);
  }
};

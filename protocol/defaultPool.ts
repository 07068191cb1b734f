/**
 * The embedded default pool `npm start` runs when ENSEMBLE_HOME/config.json does not exist: three
 * small instruct models of different families, quantized, fetched on first use into
 * ENSEMBLE_HOME/models. Offline, they stay unavailable with a reason and a hint, and the daemon
 * serves everything else.
 */
import type { PoolConfigInput } from './config';

const hf = (repo: string, file: string) => `https://huggingface.co/${repo}/resolve/main/${file}`;

export const DEFAULT_LABELS = ['bug', 'feature', 'question', 'documentation'];

export const defaultPoolConfig: PoolConfigInput = {
  models: [
    {
      id: 'qwen2.5-0.5b',
      backend: 'llama.cpp',
      path: 'qwen2.5-0.5b-instruct-q4_k_m.gguf',
      url: hf('Qwen/Qwen2.5-0.5B-Instruct-GGUF', 'qwen2.5-0.5b-instruct-q4_k_m.gguf'),
      threads: 1,
      description: 'Qwen2.5 0.5B Instruct, Q4_K_M (Alibaba)',
    },
    {
      id: 'llama3.2-1b',
      backend: 'llama.cpp',
      path: 'Llama-3.2-1B-Instruct-Q4_K_M.gguf',
      url: hf('bartowski/Llama-3.2-1B-Instruct-GGUF', 'Llama-3.2-1B-Instruct-Q4_K_M.gguf'),
      threads: 1,
      description: 'Llama 3.2 1B Instruct, Q4_K_M (Meta)',
    },
    {
      id: 'smollm2-360m',
      backend: 'llama.cpp',
      path: 'smollm2-360m-instruct-q8_0.gguf',
      url: hf('HuggingFaceTB/SmolLM2-360M-Instruct-GGUF', 'smollm2-360m-instruct-q8_0.gguf'),
      threads: 1,
      description: 'SmolLM2 360M Instruct, Q8_0 (Hugging Face)',
    },
  ],
  ensembles: {
    default: {
      members: ['qwen2.5-0.5b', 'llama3.2-1b', 'smollm2-360m'],
      strategy: 'majority',
      labels: DEFAULT_LABELS,
      instruction: 'Classify this text from a software project into exactly one of the labels.',
    },
  },
};

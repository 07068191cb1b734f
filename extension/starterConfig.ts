/**
 * The config `Ensemble: Open Config` writes when ENSEMBLE_HOME has none: the same pool the daemon
 * uses without a config (three small instruct models fetched on first use), spelled out so the
 * user can see and change it. Keep in step with daemon/config/defaultPool.ts.
 */
const hf = (repo: string, file: string) => `https://huggingface.co/${repo}/resolve/main/${file}`;

export const starterConfig = {
  models: [
    {
      id: 'qwen2.5-0.5b',
      backend: 'llama.cpp',
      path: 'qwen2.5-0.5b-instruct-q4_k_m.gguf',
      url: hf('Qwen/Qwen2.5-0.5B-Instruct-GGUF', 'qwen2.5-0.5b-instruct-q4_k_m.gguf'),
      threads: 1,
    },
    {
      id: 'llama3.2-1b',
      backend: 'llama.cpp',
      path: 'Llama-3.2-1B-Instruct-Q4_K_M.gguf',
      url: hf('bartowski/Llama-3.2-1B-Instruct-GGUF', 'Llama-3.2-1B-Instruct-Q4_K_M.gguf'),
      threads: 1,
    },
    {
      id: 'smollm2-360m',
      backend: 'llama.cpp',
      path: 'smollm2-360m-instruct-q8_0.gguf',
      url: hf('HuggingFaceTB/SmolLM2-360M-Instruct-GGUF', 'smollm2-360m-instruct-q8_0.gguf'),
      threads: 1,
    },
  ],
  ensembles: {
    default: {
      members: ['qwen2.5-0.5b', 'llama3.2-1b', 'smollm2-360m'],
      strategy: 'majority',
      labels: ['bug', 'feature', 'question', 'documentation'],
      instruction: 'Classify this text from a software project into exactly one of the labels.',
    },
  },
};

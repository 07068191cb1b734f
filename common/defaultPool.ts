/**
 * The embedded default pool `npm start` runs when ENSEMBLE_HOME/config.json does not exist: three
 * small instruct models of different families, quantized, fetched on first use into
 * ENSEMBLE_HOME/models. Offline, they stay unavailable with a reason and a hint, and the daemon
 * serves everything else.
 */
import type { PoolConfigInput } from '../protocol/config';

/**
 * A file at a fixed commit of its Hugging Face repo (not `main`, which can move), with its sha256:
 * a download that does not match is discarded. Revisions and digests as published in each repo.
 */
const hf = (repo: string, revision: string, file: string) => `https://huggingface.co/${repo}/resolve/${revision}/${file}`;

export const DEFAULT_LABELS = ['bug', 'feature', 'question', 'documentation'];

export const defaultPoolConfig: PoolConfigInput = {
  models: [
    {
      id: 'qwen2.5-0.5b',
      backend: 'llama.cpp',
      path: 'qwen2.5-0.5b-instruct-q4_k_m.gguf',
      url: hf('Qwen/Qwen2.5-0.5B-Instruct-GGUF', '9217f5db79a29953eb74d5343926648285ec7e67', 'qwen2.5-0.5b-instruct-q4_k_m.gguf'),
      sha256: '74a4da8c9fdbcd15bd1f6d01d621410d31c6fc00986f5eb687824e7b93d7a9db', // 491,400,032 bytes
      sizeBytes: 491_400_032,
      threads: 1,
      description: 'Qwen2.5 0.5B Instruct, Q4_K_M (Alibaba)',
    },
    {
      id: 'llama3.2-1b',
      backend: 'llama.cpp',
      path: 'Llama-3.2-1B-Instruct-Q4_K_M.gguf',
      url: hf('bartowski/Llama-3.2-1B-Instruct-GGUF', '067b946cf014b7c697f3654f621d577a3e3afd1c', 'Llama-3.2-1B-Instruct-Q4_K_M.gguf'),
      sha256: '6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83', // 807,694,464 bytes
      sizeBytes: 807_694_464,
      threads: 1,
      description: 'Llama 3.2 1B Instruct, Q4_K_M (Meta)',
    },
    {
      id: 'smollm2-360m',
      backend: 'llama.cpp',
      path: 'smollm2-360m-instruct-q8_0.gguf',
      url: hf('HuggingFaceTB/SmolLM2-360M-Instruct-GGUF', '593b5a2e04c8f3e4ee880263f93e0bd2901ad47f', 'smollm2-360m-instruct-q8_0.gguf'),
      sha256: '48ab3034d0dd401fbc721eb1df3217902fee7dab9078992d66431f09b7750201', // 386,404,992 bytes
      sizeBytes: 386_404_992,
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

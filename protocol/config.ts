/**
 * The pool config (`ENSEMBLE_HOME/config.json`): models, named ensembles and daemon settings.
 * The JSON Schema in `schemas/config.schema.json` is generated from these zod schemas
 * (`npm run schema`), so editors and the daemon agree on one definition.
 */
import { z } from 'zod';
import { PromptStyle, StrategyName } from './ensemble';
import { GenerationStrategy } from './generation';
import { keyableName } from './safeName';

const ModelId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'a model id: letters, digits, ".", "_", ":" or "-", at most 64 characters');

/** A LoRA adapter (a GGUF made by llama.cpp's convert_lora_to_gguf.py) applied over an in-process base model. */
export const LlamaCppLora = z
  .object({
    path: z
      .string()
      .min(1)
      .describe('The adapter GGUF (general.type "adapter"). Relative paths are resolved against ENSEMBLE_HOME/models.'),
    scale: z.number().min(-10).max(10).default(1).describe('How strongly the adapter applies: 1 as trained, 0 not at all.'),
  })
  .strict();

/**
 * A LoRA adapter served by an OpenAI-compatible server: vLLM serves each adapter of `--lora-modules name=path` as a model
 * of its own ("name"); llama.cpp server loads adapters with `--lora` and applies them per request by index ("id").
 */
export const ServedLora = z
  .object({
    name: z.string().min(1).optional().describe("vLLM: the adapter's name in --lora-modules; requests name it as the model."),
    id: z
      .number()
      .int()
      .min(0)
      .max(1023)
      .optional()
      .describe("llama.cpp server: the adapter's index in GET /lora-adapters (the order of --lora)."),
    scale: z.number().min(-10).max(10).default(1).describe('llama.cpp server: the scale sent with the adapter id (vLLM has none).'),
  })
  .strict()
  .refine((l) => (l.name === undefined) !== (l.id === undefined), {
    message: 'a served LoRA adapter needs exactly one of "name" (vLLM --lora-modules) or "id" (llama.cpp server /lora-adapters)',
  });

const common = {
  id: ModelId.describe('Unique id of the model in this pool; ensembles name their members by it.'),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(600_000)
    .optional()
    .describe("Per-request timeout for this model, in ms; the ensemble's memberTimeoutMs applies when it is shorter."),
  weight: z.number().min(0).max(100).optional().describe('Prior weight for weighted strategies (recalibration from feedback moves it).'),
  maxConcurrency: z
    .number()
    .int()
    .positive()
    .max(1024)
    .optional()
    .describe(
      'Requests this model may serve at once (default: 1 for an in-process model, 64 for an OpenAI-compatible server, 4 for Ollama).',
    ),
  maxQueue: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .optional()
    .describe(
      'Requests that may wait for this model beyond maxConcurrency (default 32); past it a request gets a fast BackendBusy error with a retry hint.',
    ),
  description: z.string().optional(),
};

export const LlamaCppModel = z
  .object({
    ...common,
    backend: z.literal('llama.cpp'),
    // Named only to refuse it: a silently dropped setting would leave the user believing it works.
    selfConsistency: z
      .never({ error: 'llama.cpp models score every label from their logprobs; selfConsistency is for "openai" and "ollama" models' })
      .optional(),
    path: z.string().min(1).optional().describe('Local GGUF file. Relative paths are resolved against ENSEMBLE_HOME/models.'),
    url: z.url().optional().describe('Where to fetch the GGUF on first use when `path` is absent or missing.'),
    sizeBytes: z
      .number()
      .int()
      .positive()
      .max(1e13)
      .optional()
      .describe('Size of the file at "url" in bytes, to say how much a download takes before it starts.'),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional()
      .describe(
        'Expected sha256 of the file: a download that does not match is discarded, and an existing file is checked before its first load (cached by size and mtime). Required with a plain http:// url.',
      ),
    contextSize: z
      .number()
      .int()
      .min(64)
      .max(131_072)
      .default(2048)
      .describe("Context window in tokens (capped at the model's trained context); the KV cache grows with it."),
    threads: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(1)
      .describe("CPU threads for this model. Always explicit: ggml's default spins badly on small VMs."),
    gpuLayers: z
      .union([z.number().int().min(0), z.literal('auto')])
      .default(0)
      .describe('Layers to offload to the GPU ("auto": as many whole layers as the memory plan finds room for in free VRAM).'),
    lora: LlamaCppLora.optional().describe(
      'A LoRA adapter over the base model in "path". Members with the same base share its weights in memory.',
    ),
  })
  .refine((m) => m.path !== undefined || m.url !== undefined, {
    message: 'a llama.cpp model needs "path" (a local GGUF file) or "url" (where to fetch it)',
    path: ['path'],
  })
  // Plain http:// lets anyone on the network path swap the file the worker then loads as native
  // input; a pinned sha256 makes the transport irrelevant. Loopback never leaves the machine.
  .refine((m) => m.url === undefined || m.sha256 !== undefined || !isRemotePlainHttp(m.url), {
    message:
      'an http:// url without "sha256" is refused: anyone on the network path could replace the model file; use https:// or pin the file\'s "sha256"',
    path: ['url'],
  });

function isRemotePlainHttp(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false; // z.url() reports it
  }
  if (parsed.protocol !== 'http:') return false;
  const host = parsed.hostname;
  return !(host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host));
}

/** Servers may declare their model's size so `ensemble plan` shows what they take on their own machine. */
export const WeightsDtype = z.enum(['f32', 'f16', 'bf16', 'fp8', 'int8', 'q8_0', 'q6_k', 'q5_k_m', 'q4_k_m', 'q4_0', 'awq', 'gptq']);
const declared = {
  params: z
    .union([z.number().positive().max(1e13), z.string().regex(/^\d+(\.\d+)?[MBT]$/i, 'a count like "7B", "500M" or a number')])
    .optional()
    .describe('Parameters of the served model ("7B", "0.5B", or a number), for the memory plan.'),
  dtype: WeightsDtype.optional().describe(
    'Weights type or quantization the server loads (f16, bf16, fp8, q4_k_m, awq, ...), for the memory plan.',
  ),
};

/**
 * Self-consistency as a label confidence, for served members that give no logprobs: classify asks
 * `samples` times at `temperature` (seeds `seed`, `seed + 1`, ... where the server honours one),
 * votes the samples' majority label, and reports the share of samples agreeing with it as the
 * vote's confidence (`confidenceSource: "selfConsistency"`), calibrated like any other.
 */
export const LabelSelfConsistency = z
  .object({
    samples: z.number().int().min(2).max(16).describe('Answers sampled per classification (each is one call to the server).'),
    temperature: z.number().gt(0).max(2).default(0.8).describe('Sampling temperature; above 0, or every sample would be the same.'),
    seed: z.number().int().min(0).max(2_147_483_647).optional().describe("First sample's seed; sample i uses seed + i."),
  })
  .strict();
export type LabelSelfConsistency = z.infer<typeof LabelSelfConsistency>;
const sampled = {
  selfConsistency: LabelSelfConsistency.optional().describe(
    "Classify by sampling several answers; the vote's confidence is the share agreeing with their majority.",
  ),
};

export const OpenAiModel = z.object({
  ...common,
  backend: z
    .literal('openai')
    .describe("Any OpenAI-compatible server: vLLM, llama.cpp server, LM Studio, SGLang, TGI, Triton's OpenAI frontend."),
  ...declared,
  ...sampled,
  baseUrl: z.url().describe("The server's OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1."),
  model: z.string().min(1).describe('The model name the server serves.'),
  apiKeyEnv: z.string().optional().describe('Name of an environment variable that holds the API key (keys do not belong in config files).'),
  lora: ServedLora.optional().describe('A LoRA adapter the server applies over "model" (vLLM multi-LoRA or llama.cpp server).'),
  scoring: z
    .enum(['topLogprobs', 'guidedChoice', 'none'])
    .default('topLogprobs')
    .describe(
      'How to get label probabilities: "topLogprobs" (chat completion with logprobs + top_logprobs: vLLM, llama.cpp server, OpenAI), ' +
        '"guidedChoice" (vLLM guided_choice constrains the answer to a label, plus top_logprobs), "none" (plain answer, no probabilities).',
    ),
});

export const OllamaModel = z.object({
  ...common,
  backend: z.literal('ollama'),
  ...declared,
  ...sampled,
  baseUrl: z.url().default('http://127.0.0.1:11434'),
  model: z.string().min(1),
  logprobs: z.boolean().default(true).describe('Ask for native logprobs (Ollama 0.12.11 and later); older servers ignore it.'),
});

export const ModelEntry = z.discriminatedUnion('backend', [LlamaCppModel, OpenAiModel, OllamaModel]);
export type ModelEntry = z.infer<typeof ModelEntry>;
export type LlamaCppModelEntry = z.infer<typeof LlamaCppModel>;
export type OpenAiModelEntry = z.infer<typeof OpenAiModel>;
export type OllamaModelEntry = z.infer<typeof OllamaModel>;

/** A member is a model, optionally with its own prompt style and weight. */
export const MemberSpec = z.union([
  ModelId,
  z.object({
    model: ModelId,
    promptStyle: PromptStyle.default('direct'),
    weight: z.number().min(0).max(100).optional(),
  }),
]);
export type MemberSpec = z.infer<typeof MemberSpec>;

export const EarlyExitSettings = z.object({
  agreeK: z.number().int().min(1).default(2).describe('Stop once the first this-many voting members agree...'),
  threshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.6)
    .describe('...each with at least this (calibrated) confidence. 0 means any agreement of k members counts.'),
});

export const RouterSettings = z.object({
  threshold: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe(
      'Below this predicted chance that the top member is right, the router asks more members (higher: more calls, more accuracy).',
    ),
  fallback: z.number().int().min(0).max(64).optional().describe('How many more members the router asks when it is unsure.'),
});

export const EnsembleSpec = z.object({
  members: z
    .array(MemberSpec)
    .min(1)
    .describe('Model ids, or {model, promptStyle, weight} to use one model several times with different prompt styles.'),
  strategy: StrategyName.default('majority').describe(
    'majority, weighted, earlyExit (speculative: asks agreeK members at once, more only when needed), learned, stacking or routed (the last three need "ensemble fit").',
  ),
  memberTimeoutMs: z
    .number()
    .int()
    .positive()
    .max(600_000)
    .default(30_000)
    .describe('Per-member timeout: a member that misses it is marked `timeout`.'),
  deadlineMs: z
    .number()
    .int()
    .positive()
    .max(600_000)
    .default(60_000)
    .describe('Whole-request deadline: the decision is made from whatever has arrived by then.'),
  labels: z
    .array(keyableName(z.string().min(1)))
    .min(2)
    .optional()
    .describe('Labels used when a request names none.'),
  instruction: z.string().optional().describe('Task description put before the text, e.g. "Classify the intent of this support ticket.".'),
  earlyExit: EarlyExitSettings.default({ agreeK: 2, threshold: 0.6 }),
  quorum: z
    .number()
    .gt(0)
    .max(1)
    .optional()
    .describe('Answers and extracted entities: the share of answering members that must agree (default: more than half).'),
  router: RouterSettings.optional().describe('Overrides of the fitted router (strategy "routed"); by default "ensemble fit" chooses both.'),
  generation: z
    .object({
      strategy: GenerationStrategy.optional().describe(
        'compare, fusion, firstSuccess, mux or refine: what `ensemble generate` runs without --strategy, and the gateway for the bare ensemble name (default: compare; the gateway: refine).',
      ),
      judge: z.string().min(1).optional().describe("fusion's judge: a model id of this config or a member (default: the first member)."),
      roundTimeoutMs: z
        .number()
        .int()
        .positive()
        .max(600_000)
        .optional()
        .describe("fusion's panel round timeout (default: memberTimeoutMs)."),
    })
    .optional()
    .describe('Free-text generation defaults (docs/generation.md).'),
  description: z.string().optional(),
});
export type EnsembleSpec = z.infer<typeof EnsembleSpec>;

/** Members much slower than the others (daemon/pool/laggards.ts): how they are found and what is done about them. */
export const LaggardSettings = z
  .object({
    factor: z
      .number()
      .min(1.1)
      .max(100)
      .default(2)
      .describe("A member is a laggard when its p90 latency exceeds the median of the others' p90 by this factor."),
    policy: z
      .enum(['flag', 'lowerWeight', 'moveLast'])
      .default('flag')
      .describe(
        '"flag": only show it (status, status bar, inspector); "lowerWeight": multiply its weight by weightFactor; "moveLast": ask it last (sequential strategies such as earlyExit).',
      ),
    window: z.number().int().min(5).max(10_000).default(50).describe('Latencies kept per member (a sliding window of its last answers).'),
    minSamples: z.number().int().min(3).max(10_000).default(10).describe('Answers a member needs before it is judged.'),
    weightFactor: z.number().min(0).max(1).default(0.5).describe('Weight multiplier for a laggard under "lowerWeight".'),
    adaptiveTimeout: z
      .object({
        factor: z.number().min(1).max(100).default(3).describe("A member's timeout becomes its p99 latency times this factor."),
        minMs: z.number().int().min(10).max(600_000).default(1_000).describe('Never shorter than this.'),
      })
      .strict()
      .optional()
      .describe(
        'Per-member timeouts that follow observed latency (p99 x factor, at least minMs, never longer than the configured timeout), once a member has minSamples answers.',
      ),
  })
  .strict();

export const DaemonSettings = z.object({
  allowedOrigins: z
    .array(z.string())
    .default([])
    .describe('Browser origins allowed to open the WebSocket (none by default: blocks cross-site hijacking).'),
  maxParallelMembers: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(4)
    .describe('Deprecated and ignored: each model has its own limit (maxConcurrency, maxQueue). Accepted so older configs still load.'),
  healthIntervalMs: z
    .number()
    .int()
    .min(1_000)
    .max(3_600_000)
    .default(15_000)
    .describe('How often servers (OpenAI-compatible, Ollama) are health-checked.'),
  healthTimeoutMs: z
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(5_000)
    .describe('A health check that takes longer fails (a server that accepts connections but never answers is not ready).'),
  breakerThreshold: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(3)
    .describe("Consecutive failures after which a member's circuit breaker opens (requests fail fast while it cools down)."),
  breakerCoolDownMs: z
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(10_000)
    .describe('How long an open circuit breaker waits before one probe; doubles after each failed probe (up to 5 minutes).'),
  recalibrationWindow: z
    .number()
    .int()
    .min(5)
    .max(100_000)
    .default(200)
    .describe('Feedback window per model for sliding-window recalibration.'),
  memoryBudgetMiB: z
    .number()
    .int()
    .min(1)
    .max(64 * 1024 * 1024)
    .optional()
    .describe(
      "RAM, in MiB, that in-process models may take together (default: 90% of the machine's RAM). A model that does not fit is left unavailable with the reason, never loaded into an out-of-memory kill.",
    ),
  laggards: LaggardSettings.optional().describe(
    'Consistently slow members: flagged by default; optionally their weight is lowered or they are asked last.',
  ),
});

export const PoolConfig = z.object({
  $schema: z.string().optional(),
  models: z.array(ModelEntry).default([]),
  ensembles: z.record(keyableName(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/)), EnsembleSpec).default({}),
  defaultEnsemble: z.string().optional(),
  // prefault: the empty object goes through the schema, so every daemon setting's own default applies.
  daemon: DaemonSettings.prefault({}),
});
export type PoolConfig = z.infer<typeof PoolConfig>;
export type PoolConfigInput = z.input<typeof PoolConfig>;

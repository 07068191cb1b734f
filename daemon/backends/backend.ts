/**
 * One small interface per backend (in-process llama.cpp, OpenAI-compatible HTTP, Ollama).
 * Backends know how to ask one model; they know nothing of ensembles or strategies.
 * Every method takes an AbortSignal and must settle promptly once it fires.
 * Failures are thrown as EnsembleError with a stable kind:
 *   ModelUnavailable (file missing, server unreachable), BackendBusy (503 / overloaded),
 *   BackendError (malformed answer, 4xx/5xx), RequestCancelled (signal fired).
 */
import type { ModelEntry } from '../../protocol/config';
import type { ConfidenceSource, LabelProbabilities, PromptStyle } from '../../protocol/ensemble';

export type BackendKind = 'llama.cpp' | 'openai' | 'ollama';

export interface LabelRequest {
  text: string;
  /** Candidate labels, in the order the caller gave them. At least two. */
  labels: string[];
  /** Task description, e.g. "Classify the intent of this support ticket." */
  instruction?: string;
  promptStyle: PromptStyle;
  /** Sampling, for self-consistency (absent: greedy, the same answer every time). */
  temperature?: number;
  /** The sample's seed, where the server honours one, so a run can be repeated. */
  seed?: number;
}

export interface LabelScores {
  /** The label the model chose; null when it named none of the labels (an abstention). */
  label: string | null;
  /** Distribution over the labels (sums to 1 when non-empty); empty when the backend gives none. */
  probabilities: LabelProbabilities;
  /** Confidence in `label` in [0, 1], or null when there is none. */
  confidence: number | null;
  confidenceSource: ConfidenceSource;
  /** What the model wrote, when it wrote something (reasoning, verbalized answer), truncated. */
  text?: string;
}

/** One turn of a conversation, as the gateway receives it and chat backends send it on. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest {
  /** Chat-style: an optional system message and one user message (ignored when `messages` is set). */
  system?: string;
  prompt: string;
  /** The whole conversation (system, user and assistant turns); replaces `system` + `prompt` when set. */
  messages?: ChatMessage[];
  /**
   * Constrains the output to JSON matching this schema where the backend can (node-llama-cpp
   * grammar, vLLM structured outputs / `response_format`, Ollama `format`); callers still validate.
   */
  jsonSchema?: Record<string, unknown>;
  maxTokens: number;
  /** 0 = greedy (default). */
  temperature?: number;
}

/** Told each piece of text the moment the model produces it (streaming); the final text is still returned whole. */
export type TokenListener = (text: string) => void;

export interface Health {
  ok: boolean;
  /** Where an in-process model runs once loaded (CPU, CUDA, Vulkan, Metal), layers offloaded, VRAM it holds. */
  runtime?: ModelRuntime;
  /** Why not, in words, when !ok. */
  reason?: string;
  /** What to do about it. */
  hint?: string;
  /** Memory the model takes or will take, in bytes, when known. */
  memoryBytes?: number;
}

export interface ModelRuntime {
  /** 'cpu', 'cuda', 'vulkan' or 'metal'. */
  gpu: string;
  layersOffloaded: number;
  layers?: number;
  vramBytes: number;
}

/** An in-process model's memory plan inputs. */
export interface MemoryNeeds {
  weightsBytes: number;
  /** KV cache for its context size and parallel sequences. */
  kvCacheBytes: number;
  /** Compute buffers (logits, graph) for its context. */
  computeBytes?: number;
  /** Repeating layers (GGUF block count). */
  layers: number;
  /** What the config asks for. */
  gpuLayers: number | 'auto';
  /**
   * Set when this model shares one loaded base with other members (LoRA adapter members over one
   * file run in one worker): members with the same `key` hold `basePath`'s weights once, so the plan
   * charges them to one member; `adapterBytes` (included in `weightsBytes`) is this member's own.
   */
  sharedBase?: { key: string; basePath: string; adapterBytes: number };
}

/** What the pool needs to know about a backend without knowing it by name. */
export interface BackendTraits {
  /** Runs on this machine: its memory is planned and loads take turns; otherwise a server whose health is checked periodically. */
  readonly local: boolean;
  /** Requests it serves at once unless the config sets maxConcurrency (a worker: 1; a server: its slots). */
  readonly defaultConcurrency: number;
  /** A file to fetch before it can load (configured url, file absent at path). */
  readonly download?: { url: string; path: string; sha256?: string; sizeBytes?: number };
  /** A file whose sha256 the config pins: checked before its first load, downloaded or not (pool/fileIntegrity.ts). */
  readonly pinned?: { path: string; sha256: string };
  /**
   * Every call settles as soon as its signal fires (HTTP requests do: the request is aborted and its
   * promise rejects at once). Calls to other backends are raced against their signal, in case one
   * keeps running after it; these need no race.
   */
  readonly settlesOnAbort?: boolean;
}

/**
 * Supervised backends (a model in a worker process) tell the pool what happened to them:
 * `crashed` (its process died; in-flight calls already failed; it restarts after `restartInMs`),
 * `failed` (crashed too often: not loaded again until its config changes or `reset()`).
 */
export type BackendEvent = { type: 'crashed'; reason: string; restartInMs: number } | { type: 'failed'; reason: string; hint: string };

export interface Backend {
  readonly id: string;
  readonly kind: BackendKind;
  /** Absent: a remote server serving 4 at once (the pool's default). */
  readonly traits?: BackendTraits;
  /** Where the model lives (file path or base URL), for status displays. */
  readonly location: string;
  /** Checks (and for in-process models, loads) the model. Never throws: failures come back as !ok. */
  health(signal: AbortSignal): Promise<Health>;
  /** The model's answer among `labels`, with probabilities from its own tokens where possible. */
  classify(req: LabelRequest, signal: AbortSignal): Promise<LabelScores>;
  /** Free text generation (refinement, extraction, answers); `onToken` streams the text as it is generated. */
  generate(req: GenerateRequest, signal: AbortSignal, onToken?: TokenListener): Promise<{ text: string }>;
  dispose(): Promise<void>;
  /** In-process backends: the memory plan's placement, applied at the next load. */
  applyPlacement?(placement: { gpuLayers: number }): void;
  /** In-process backends: what the memory plan needs (from the model file's header); undefined when there is no valid file yet. */
  memoryNeeds?(): Promise<MemoryNeeds | undefined>;
  /** Supervised backends: crash and failure events (see BackendEvent). */
  onEvent?(listener: (event: BackendEvent) => void): void;
  /** Supervised backends: forget past crashes and allow loading again (the user asked). */
  reset?(): void;
}

export interface BackendContext {
  /** A line from a model worker's stderr (llama.cpp's own log). */
  workerLog?: (model: string, line: string) => void;
}

export type BackendFactory = (entry: ModelEntry, ctx?: BackendContext) => Backend;

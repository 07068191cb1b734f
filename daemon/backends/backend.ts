/**
 * One small interface per backend (in-process llama.cpp, OpenAI-compatible HTTP, Ollama).
 * Backends know how to ask one model; they know nothing of ensembles or strategies.
 * Every method takes an AbortSignal and must settle promptly once it fires.
 * Failures are thrown as EnsembleError with a stable kind:
 *   ModelUnavailable (file missing, server unreachable), BackendBusy (503 / overloaded),
 *   BackendError (malformed answer, 4xx/5xx), RequestCancelled (signal fired).
 */
import type { ConfidenceSource, LabelProbabilities, PromptStyle } from '../../protocol/ensemble';

export type BackendKind = 'llama.cpp' | 'openai' | 'ollama';

export interface LabelRequest {
  text: string;
  /** Candidate labels, in the order the caller gave them. At least two. */
  labels: string[];
  /** Task description, e.g. "Classify the intent of this support ticket." */
  instruction?: string;
  promptStyle: PromptStyle;
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

export interface GenerateRequest {
  /** Chat-style: an optional system message and one user message. */
  system?: string;
  prompt: string;
  maxTokens: number;
  /** 0 = greedy (default). */
  temperature?: number;
}

export interface Health {
  ok: boolean;
  /** Why not, in words, when !ok. */
  reason?: string;
  /** What to do about it. */
  hint?: string;
  /** Memory the model takes or will take, in bytes, when known. */
  memoryBytes?: number;
}

export interface Backend {
  readonly id: string;
  readonly kind: BackendKind;
  /** Where the model lives (file path or base URL), for status displays. */
  readonly location: string;
  /** Checks (and for in-process models, loads) the model. Never throws: failures come back as !ok. */
  health(signal: AbortSignal): Promise<Health>;
  /** The model's answer among `labels`, with probabilities from its own tokens where possible. */
  classify(req: LabelRequest, signal: AbortSignal): Promise<LabelScores>;
  /** Free text generation (sequential refinement). */
  generate(req: GenerateRequest, signal: AbortSignal): Promise<{ text: string }>;
  dispose(): Promise<void>;
  /** In-process backends: the memory plan's placement, applied at the next load. */
  applyPlacement?(placement: { gpuLayers: number }): void;
}

/**
 * In-process llama.cpp backend (node-llama-cpp 3.21.1, the platform's prebuilt binary: CPU, or Metal on Apple silicon).
 *
 * Labels are scored, not parsed: for each label, log P(label tokens | prompt) from the model's own
 * token probabilities, then a softmax across labels. The prompt is the model's own chat template up
 * to the assistant's reply when the GGUF has one, else a plain completion ending in "Answer:"
 * (llamaChatPrompt.ts). Every file goes through ggufCheck first, because a GGUF with missing
 * hyper-parameters makes llama.cpp GGML_ASSERT-abort the whole daemon. One context sequence per model, so evaluations are
 * serialized by a promise queue; the pool runs llama.cpp models at concurrency 1 anyway.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type {
  ChatHistoryItem,
  ChatWrapper,
  Llama,
  LlamaGrammar,
  LlamaCompletion,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
  Token,
} from 'node-llama-cpp';
import type { LlamaCppModelEntry } from '../../protocol/config';
import { raceAbort } from '../../common/abort';
import { llamaGpuOption, type LlamaGpu } from '../../common/llamaBinaries';
import { EnsembleError } from '../../protocol/errors';
import { argmaxLabel, softmaxLogprobs } from './answerParsing';
import type { Backend, ChatMessage, GenerateRequest, Health, LabelRequest, LabelScores, ModelRuntime, TokenListener } from './backend';
import { chatMessages, renderConversation } from './chatMessages';
import { checkGguf, kvCacheBytes, type GgufSummary } from '../gguf/ggufCheck';
import { checkLoraAdapter } from './loraAdapter';
import { requireDefaultLlamaRuntime } from './llamaRuntime';
import { acquireModel, type ModelLease } from './sharedModels';
import {
  continuationTokens,
  fitScoringPrompt,
  promptToTokens,
  reasoningInput,
  REASONING_TOKENS,
  renderScoringPrompt,
  resolveScoringChat,
  type ScoringPrompt,
} from './llamaChatPrompt';
import { own } from '../../common/ownProperty';

const MAX_TEXT = 500;
/** Prompt tokens evaluated between two looks at the abort signal. */
const PROMPT_CHUNK = 128;
/** Floor for a token probability that underflowed to 0, so a label's log-probability stays finite. */
const MIN_PROB = 1e-30;

const llamas = new Map<string, Promise<Llama>>();
/**
 * Recent llama.cpp error lines. node-llama-cpp reports a failed load as just "Failed to load
 * model"; the why ("missing tensor 'output_norm.weight'") only reaches the log, so keep the tail.
 */
const recentErrors: string[] = [];
let errorsSeen = 0;

/**
 * The process-wide Llama (loading the native binding takes ~0.5 s, and one is enough). CPU unless
 * a config asks for GPU offload; never builds from source or downloads (no network here).
 */
export function sharedLlama(opts: { gpu?: LlamaGpu } = {}): Promise<Llama> {
  const gpu = opts.gpu ?? false;
  const key = String(gpu);
  let llama = llamas.get(key);
  if (!llama) {
    llama = import('node-llama-cpp').then(({ getLlama, LlamaLogLevel, Llama }) =>
      getLlama({
        gpu,
        build: 'never',
        logLevel: LlamaLogLevel.warn,
        progressLogs: false,
        logger(level, message) {
          if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) {
            recentErrors.push(message.trim());
            errorsSeen++;
            if (recentErrors.length > 20) recentErrors.shift();
          }
          Llama.defaultConsoleLogger(level, message);
        },
      }),
    );
    llama.catch(() => llamas.delete(key)); // a failed binding load may be retried
    llamas.set(key, llama);
  }
  return llama;
}

/**
 * Where a loaded model runs: the backend (cpu, cuda, vulkan, metal), the layers llama.cpp
 * offloaded, and the VRAM its offloaded weights take (node-llama-cpp's estimate for those layers:
 * the device's own counter would include every other process on the GPU).
 */
function runtimeOf(l: Loaded): ModelRuntime {
  const gpu = l.llama.gpu === false ? 'cpu' : l.llama.gpu;
  const layersOffloaded = l.model.gpuLayers;
  const onCpu = gpu === 'cpu' || layersOffloaded === 0;
  const vramBytes = onCpu ? 0 : l.model.fileInsights.estimateModelResourceRequirements({ gpuLayers: layersOffloaded }).gpuVram;
  return { gpu, layersOffloaded, layers: l.model.fileInsights.totalLayers, vramBytes };
}

interface Loaded {
  summary: GgufSummary;
  model: LlamaModel;
  /** This member's hold on the (possibly shared) model: members over one base share its weights. */
  lease: ModelLease;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  completion: LlamaCompletion;
  /** The chat format classify and generate use; null: no usable chat template, plain prompts. */
  chat: ChatWrapper | null;
  contextSize: number;
  memoryBytes: number;
  llama: Llama;
}

/**
 * The GPU backend for models that offload, as the daemon decided at start from its home's
 * runtime.json (daemon/runtime/gpuRuntime.ts, passed as ENSEMBLE_GPU): "cpu" is an explicit
 * choice (`ensemble setup gpu --cpu`, or a configured GPU runtime that is missing) and loads with
 * `gpu: false`; nothing set lets node-llama-cpp detect ("auto").
 */
export function configuredGpu(env: NodeJS.ProcessEnv = process.env): 'auto' | 'cuda' | 'vulkan' | 'metal' | false {
  const gpu = env.ENSEMBLE_GPU;
  if (gpu === 'cpu') return false;
  return gpu === 'cuda' || gpu === 'vulkan' || gpu === 'metal' ? gpu : 'auto';
}

/** The Llama a model entry loads with on this machine (Metal on Apple silicon, see llamaGpuOption). */
export async function llamaFor(entry: LlamaCppModelEntry): Promise<Llama> {
  const gpu = llamaGpuOption(process.platform, process.arch, entry.gpuLayers, configuredGpu());
  // The GPU packages `ensemble setup gpu` installs live elsewhere; the default one must be here.
  if (gpu === false || gpu === 'metal') await requireDefaultLlamaRuntime();
  return sharedLlama({ gpu });
}

export class LlamaCppBackend implements Backend {
  readonly id: string;
  readonly kind = 'llama.cpp' as const;
  readonly location: string;
  private loading: Promise<Loaded> | undefined;
  /** Tail of the evaluation queue: each evaluation waits for the previous one. */
  private tail: Promise<void> = Promise.resolve();
  /** Fired by dispose() so in-flight evaluations stop before the context is freed. */
  private readonly lifetime = new AbortController();
  /** GPU layers the pool's memory plan chose (resolves "auto" against free VRAM); the config's value until then. */
  private plannedGpuLayers: number | undefined;

  constructor(
    private readonly entry: LlamaCppModelEntry,
    private readonly getLlama: () => Promise<Llama> = () => llamaFor(entry),
  ) {
    this.id = entry.id;
    this.location = entry.path ?? entry.url ?? '';
  }

  applyPlacement(placement: { gpuLayers: number }): void {
    this.plannedGpuLayers = placement.gpuLayers;
  }

  async health(signal: AbortSignal): Promise<Health> {
    try {
      const loaded = await raceAbort(signal, () => this.load());
      return { ok: true, memoryBytes: loaded.memoryBytes, runtime: runtimeOf(loaded) };
    } catch (e) {
      const err = toEnsembleError(e, signal);
      const hint = (err.data as { hint?: string } | undefined)?.hint;
      return { ok: false, reason: err.message, ...(hint ? { hint } : {}) };
    }
  }

  async classify(req: LabelRequest, signal: AbortSignal): Promise<LabelScores> {
    return this.exclusive(signal, async (l, sig) => {
      const fitted = fitScoringPrompt(l.model, l.chat, req, l.contextSize, basename(l.summary.path));
      let prompt = fitted.prompt;
      let reasoning: string | undefined;
      if (req.promptStyle === 'stepByStep') {
        const { input, stop } = reasoningInput(l.model, l.chat, fitted.req);
        const raw = await l.completion.generateCompletion(input, {
          maxTokens: REASONING_TOKENS,
          temperature: 0,
          repeatPenalty: false,
          customStopTriggers: stop,
          signal: sig,
        });
        reasoning = raw.replace(/Answer:\s*$/, '').trim() || undefined;
        prompt = renderScoringPrompt(l.model, l.chat, fitted.req, reasoning);
      }
      const logprobs = await scoreLabels(l, prompt, req.labels, sig);
      const probabilities = softmaxLogprobs(logprobs);
      const label = argmaxLabel(probabilities, req.labels);
      return {
        label,
        probabilities,
        confidence: label === null ? null : (own(probabilities, label) ?? null),
        confidenceSource: 'logprobs',
        ...(reasoning ? { text: reasoning.slice(0, MAX_TEXT) } : {}),
      };
    });
  }

  async generate(req: GenerateRequest, signal: AbortSignal, onToken?: TokenListener): Promise<{ text: string }> {
    return this.exclusive(signal, async (l, sig) => {
      const temperature = req.temperature ?? 0;
      // A JSON schema becomes a grammar, so every sampled token keeps the output valid JSON of that shape.
      const grammar = req.jsonSchema ? await jsonGrammar(l.model.llama, req.jsonSchema) : undefined;
      const options = { maxTokens: req.maxTokens, temperature, repeatPenalty: false as const, signal: sig, onTextChunk: onToken, grammar };
      const messages = chatMessages(req);
      const last = messages.at(-1);
      if (l.summary.metadata.has('tokenizer.chat_template') && last?.role === 'user') {
        // Instruction-tuned models answer far better in their own chat format.
        const { LlamaChatSession } = await import('node-llama-cpp');
        const session = new LlamaChatSession({ contextSequence: l.sequence, chatWrapper: l.chat ?? 'auto', autoDisposeSequence: false });
        try {
          session.setChatHistory(messages.slice(0, -1).map(toHistoryItem));
          return { text: (await session.prompt(last.content, options)).trim() };
        } finally {
          session.dispose({ disposeSequence: false });
        }
      }
      const text = req.messages?.length ? renderConversation(req.messages) : req.system ? `${req.system}\n\n${req.prompt}` : req.prompt;
      return { text: (await l.completion.generateCompletion(text, options)).trim() };
    });
  }

  /** Log-probability of `continuation` right after `prompt` (full sequence, as classify scores labels). */
  async logprob(prompt: string, continuation: string, signal: AbortSignal): Promise<number> {
    return this.exclusive(signal, async (l, sig) => {
      const promptTokens = promptToTokens(l.model, prompt);
      return (await scoreContinuations(l, promptTokens, [continuationTokens(l.model, prompt, continuation, promptTokens)], [], sig))[0]!;
    });
  }

  /** The prompt classify would score `req`'s labels after (before any reasoning), shortened to fit as classify does. */
  async scoringPrompt(req: LabelRequest, signal: AbortSignal): Promise<ScoringPrompt> {
    return this.exclusive(signal, async (l) => fitScoringPrompt(l.model, l.chat, req, l.contextSize, basename(l.summary.path)).prompt);
  }

  async dispose(): Promise<void> {
    this.lifetime.abort(new EnsembleError('ModelUnavailable', `model "${this.id}" was unloaded`));
    const loading = this.loading;
    if (!loading) return;
    await this.tail.catch(() => undefined);
    const l = await loading.catch(() => undefined);
    if (!l) return;
    await l.context.dispose().catch(() => undefined);
    await l.lease.release();
  }

  private load(): Promise<Loaded> {
    if (this.lifetime.signal.aborted) return Promise.reject(this.lifetime.signal.reason);
    this.loading ??= this.doLoad().catch((e: unknown) => {
      this.loading = undefined; // the file may be fixed or downloaded later: retry on the next call
      throw e;
    });
    return this.loading;
  }

  private async doLoad(): Promise<Loaded> {
    const { entry } = this;
    const fix = `set "path" (or "url") of model "${entry.id}" in config.json`;
    if (!entry.path) throw unavailable(`model "${entry.id}" has no local file yet`, fix);
    try {
      await stat(entry.path);
    } catch {
      throw unavailable(`model file not found: ${entry.path}`, `${fix}, or put the GGUF file there`);
    }
    const check = await checkGguf(entry.path);
    if (!check.ok)
      throw unavailable(`invalid GGUF: ${check.reason}`, `replace the file (a partial download or not a llama.cpp model?), or ${fix}`);
    const { summary } = check;
    const lora = entry.lora ? await checkLoraAdapter(entry.lora.path, summary) : undefined;
    if (lora && !lora.ok)
      throw unavailable(
        `invalid LoRA adapter: ${lora.reason}`,
        `set "lora.path" of model "${entry.id}" to an adapter made for ${entry.path}`,
      );
    // Past the trained context a model degrades, and the tiny fixture models train on 512.
    const contextSize = Math.min(entry.contextSize, summary.contextLength);
    let errorsBefore = errorsSeen;
    try {
      const llama = await this.getLlama();
      errorsBefore = errorsSeen;
      const lease = await acquireModel(llama, entry.path, this.plannedGpuLayers ?? entry.gpuLayers, entry.gpuLayers);
      const { model } = lease;
      try {
        // threads is explicit: ggml's default thread count spins badly on small VMs (measured up to 1000x slower).
        // A LoRA adapter applies to this member's context only; the model's weights stay shared.
        const adapters = entry.lora ? { adapters: [{ filePath: entry.lora.path, scale: entry.lora.scale }] } : undefined;
        const context = await model.createContext({ contextSize, sequences: 1, threads: entry.threads, lora: adapters });
        const sequence = context.getSequence();
        const { LlamaCompletion } = await import('node-llama-cpp');
        const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
        const chat = summary.metadata.has('tokenizer.chat_template') ? await resolveScoringChat(model) : null;
        // The member that loaded the base pays for its weights; the others sharing it, only for their context and adapter.
        const memoryBytes = (lease.users === 1 ? summary.fileBytes : 0) + kvCacheBytes(summary, contextSize) + (lora?.ok ? lora.bytes : 0);
        return { summary, model, lease, context, sequence, completion, chat, contextSize, memoryBytes, llama };
      } catch (e) {
        await lease.release();
        throw e;
      }
    } catch (e) {
      const fresh = Math.min(errorsSeen - errorsBefore, recentErrors.length);
      const logged = (fresh > 0 ? recentErrors.slice(-fresh) : []).find((m) => /error loading model/.test(m));
      const why = `${e instanceof Error ? e.message : String(e)}${logged ? ` (${logged.replace(/^.*error loading model:\s*/, '')})` : ''}`;
      throw unavailable(
        `llama.cpp could not load ${entry.path}: ${why}`,
        'check that the file is a model this llama.cpp supports and that there is enough memory',
        e,
      );
    }
  }

  /** Runs `fn` alone on the model's sequence, once earlier evaluations finish; settles on abort. */
  private async exclusive<T>(signal: AbortSignal, fn: (l: Loaded, signal: AbortSignal) => Promise<T>): Promise<T> {
    const sig = AbortSignal.any([signal, this.lifetime.signal]);
    const prev = this.tail;
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.tail = prev.then(() => mine); // the next caller waits for the previous holder too, even if we bail out
    try {
      const loaded = await raceAbort(sig, () => this.load());
      await raceAbort(sig, () => prev);
      if (sig.aborted) throw sig.reason;
      return await fn(loaded, sig);
    } catch (e) {
      throw toEnsembleError(e, sig);
    } finally {
      release();
    }
  }
}

/** The schema arrives as data (no literal type to infer from), so call the generic builder untyped. */
function jsonGrammar(llama: Llama, schema: Record<string, unknown>): Promise<LlamaGrammar> {
  const build = llama.createGrammarForJsonSchema.bind(llama) as unknown as (s: unknown) => Promise<LlamaGrammar>;
  return build(schema);
}

function toHistoryItem(m: ChatMessage): ChatHistoryItem {
  if (m.role === 'assistant') return { type: 'model', response: [m.content] };
  return { type: m.role, text: m.content };
}

function unavailable(message: string, hint: string, cause?: unknown): EnsembleError {
  return new EnsembleError('ModelUnavailable', message, { hint }, { cause });
}

function toEnsembleError(e: unknown, signal: AbortSignal): EnsembleError {
  if (e instanceof EnsembleError) return e;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof EnsembleError ? reason : new EnsembleError('RequestCancelled', 'cancelled', undefined, { cause: e });
  }
  return new EnsembleError('BackendError', `llama.cpp: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
}

async function scoreLabels(
  l: Loaded,
  prompt: ScoringPrompt,
  labels: readonly string[],
  signal: AbortSignal,
): Promise<Record<string, number>> {
  const conts = prompt.labels;
  // "card" always outscores "card arrival" on tokens alone; when one label's tokens start another's,
  // also score that the answer ends there (a newline, end of text, end of the assistant's turn).
  const prefixClash = conts.some((a, i) => conts.some((b, j) => i !== j && a.length < b.length && a.every((t, k) => b[k] === t)));
  const scores = await scoreContinuations(l, prompt.tokens, conts, prefixClash ? prompt.ends : [], signal);
  return Object.fromEntries(labels.map((label, i) => [label, scores[i]!]));
}

type Probabilities = Map<Token, number>;
const withProbabilities = { generateNext: { probabilities: true } } as const;

/**
 * Sum of log P(token) over each continuation, with the prompt evaluated once: the KV cache keeps
 * the prompt (and any prefix shared with what the sequence already holds), and each continuation
 * is evaluated after it, then erased. With `ends`, also log P(one of them) after the continuation.
 */
async function scoreContinuations(
  l: Loaded,
  promptTokens: Token[],
  conts: readonly Token[][],
  ends: readonly Token[],
  signal: AbortSignal,
): Promise<number[]> {
  const scoreEnd = ends.length > 0;
  const seq = l.sequence;
  // Re-evaluate at least the prompt's last token: its output is the distribution of the first continuation token.
  const keep = Math.min(seq.compareContextTokens(promptTokens).firstDifferentIndex, promptTokens.length - 1);
  if (seq.nextTokenIndex > keep) await seq.eraseContextTokenRanges([{ start: keep, end: seq.nextTokenIndex }]);
  // In chunks, so a long prompt on a big model can still be abandoned promptly when the signal fires.
  let afterPrompt: Probabilities | undefined;
  for (let at = keep; at < promptTokens.length; at += PROMPT_CHUNK) {
    if (signal.aborted) throw signal.reason;
    const chunk = promptTokens.slice(at, at + PROMPT_CHUNK);
    const last = at + chunk.length === promptTokens.length;
    const res = await seq.controlledEvaluate(chunk.map((t, i) => (last && i === chunk.length - 1 ? [t, withProbabilities] : t)));
    if (last) afterPrompt = res.at(-1)?.next.probabilities;
  }
  if (!afterPrompt) throw new Error('no token probabilities after the prompt');
  const out: number[] = [];
  for (const cont of conts) {
    if (signal.aborted) throw signal.reason;
    if (seq.nextTokenIndex > promptTokens.length)
      await seq.eraseContextTokenRanges([{ start: promptTokens.length, end: seq.nextTokenIndex }]);
    const toEvaluate = scoreEnd ? cont : cont.slice(0, -1);
    const res = toEvaluate.length > 0 ? await seq.controlledEvaluate(toEvaluate.map((t) => [t, withProbabilities])) : [];
    const dists: (Probabilities | undefined)[] = [afterPrompt, ...res.map((r) => r?.next.probabilities)];
    let lp = 0;
    cont.forEach((t, k) => (lp += Math.log(Math.max(dists[k]?.get(t) ?? 0, MIN_PROB))));
    if (scoreEnd) {
      const d = dists[cont.length];
      lp += Math.log(
        Math.max(
          ends.reduce((s, t) => s + (d?.get(t) ?? 0), 0),
          MIN_PROB,
        ),
      );
    }
    out.push(lp);
  }
  return out;
}

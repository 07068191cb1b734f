/**
 * Any OpenAI-compatible chat completions server: vLLM, llama.cpp server, LM Studio, SGLang, OpenAI.
 *
 * Wire shapes followed:
 * - request/response: OpenAI Chat Completions as served by vLLM's OpenAI-compatible server
 *   (docs.vllm.ai serving/openai_compatible_server, v0.4.2 to latest) and llama.cpp's server
 *   (tools/server/README.md, 2026 master): `logprobs: true, top_logprobs: N` give
 *   `choices[0].logprobs.content[i].{token, logprob, bytes, top_logprobs[]}`;
 * - vLLM extras: `guided_choice` (vLLM up to 0.11) and `structured_outputs: {choice}` (docs.vllm.ai
 *   features/structured_outputs: the guided_* fields were removed in v0.12.0). Both are sent:
 *   vLLM's request models (vllm/entrypoints/openai/engine/protocol.py, OpenAIBaseModel with
 *   extra="allow") log and ignore fields they do not know, so each version uses the one it has.
 *   Older vLLM releases (extra="forbid") answer 400 to the pair: use scoring "topLogprobs" there;
 * - streaming: SSE `data: {chat.completion.chunk}` events with `choices[0].delta.content`, ending
 *   in `data: [DONE]`; llama.cpp may send `: ping` comments; vLLM reports failures after the
 *   stream started as a `data: {"error": {...}}` event;
 * - errors: `{"error": {"message", ...}}` (OpenAI, vLLM, llama.cpp) or older vLLM's
 *   `{"object": "error", "message"}`; llama.cpp answers 503 while it loads the model.
 */
import type { OpenAiModelEntry } from '../../protocol/config';
import { EnsembleError, asEnsembleError } from '../../protocol/errors';
import type { Backend, GenerateRequest, Health, LabelRequest, LabelScores, TokenListener } from './backend';
import { loraRequestFields, servedModelName } from './servedLora';
import { chatMessages } from './chatMessages';
import { HttpClient, serverErrorMessage, sseData, type HttpErrorData } from './httpJson';
import { labelScoresFromAnswer, parseWireLogprobs } from './labelLogprobs';
import { chatPrompt } from './prompts';
import { trimEndChars } from '../../common/trimChars';

/** The most top_logprobs OpenAI and vLLM (default --max-logprobs) accept. */
export const TOP_LOGPROBS = 20;

type Message = { role: 'system' | 'user'; content: string };

interface ChatCompletion {
  choices?: { message?: { content?: unknown }; logprobs?: { content?: unknown } | null }[];
}

interface ChatChunk {
  error?: unknown;
  choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
}

export interface OpenAiBackendOptions {
  /** Where `apiKeyEnv` is looked up (tests pass their own). */
  env?: NodeJS.ProcessEnv;
}

export class OpenAiBackend implements Backend {
  readonly kind = 'openai' as const;
  /** vLLM and other batching servers serve many requests at once; a llama.cpp server's slots are set with maxConcurrency. */
  readonly traits = { local: false, defaultConcurrency: 64, settlesOnAbort: true } as const;
  readonly id: string;
  readonly location: string;
  private readonly http: HttpClient;
  private readonly env: NodeJS.ProcessEnv;
  /** Set once the server refused the logprobs parameters, so later requests go without them. */
  private logprobsRefused = false;
  /** Set once the server refused `response_format` json_schema, so later requests go unconstrained. */
  private schemaRefused = false;

  constructor(
    private readonly entry: OpenAiModelEntry,
    options: OpenAiBackendOptions = {},
  ) {
    this.id = entry.id;
    this.location = entry.baseUrl;
    this.env = options.env ?? process.env;
    this.http = new HttpClient({
      baseUrl: entry.baseUrl,
      maxConcurrency: entry.maxConcurrency,
      timeoutMs: entry.timeoutMs,
      headers: () => this.authHeaders(),
      unreachableHint: 'start the server (vLLM, llama.cpp server...) or fix "baseUrl" in the config',
    });
  }

  async classify(req: LabelRequest, signal: AbortSignal): Promise<LabelScores> {
    const prompt = chatPrompt(req);
    const messages: Message[] = [
      { role: 'system', content: prompt.system },
      { role: 'user', content: prompt.user },
    ];
    // Fields assigned in order rather than spread: the same JSON, built without the per-property copies
    // of conditional spreads (this body is built for every member of every decision).
    const body = (withLogprobs: boolean) => {
      const b: Record<string, unknown> = { model: servedModelName(this.entry) }; // a vLLM LoRA adapter is served under its own name
      const lora = loraRequestFields(this.entry).lora;
      if (lora) b.lora = lora;
      b.messages = messages;
      b.temperature = req.temperature ?? 0;
      if (req.seed !== undefined) b.seed = req.seed;
      b.max_tokens = prompt.maxTokens;
      b.stream = false;
      if (withLogprobs) {
        b.logprobs = true;
        b.top_logprobs = TOP_LOGPROBS;
      }
      // Constraining only makes sense when the whole answer is the label.
      if (this.entry.scoring === 'guidedChoice' && req.promptStyle === 'direct') {
        b.guided_choice = req.labels;
        b.structured_outputs = { choice: req.labels };
      }
      return b;
    };
    const wantLogprobs = this.entry.scoring !== 'none' && !this.logprobsRefused;
    let res: ChatCompletion;
    try {
      res = await this.http.postJson<ChatCompletion>('/chat/completions', body(wantLogprobs), signal);
    } catch (e) {
      // A server that rejects logprobs (or the count) still classifies: degrade, and remember.
      if (!wantLogprobs || !refusesLogprobs(e)) throw e;
      this.logprobsRefused = true;
      res = await this.http.postJson<ChatCompletion>('/chat/completions', body(false), signal);
    }
    const choice = res?.choices?.[0];
    const content = choice?.message?.content;
    if (!choice || (content !== null && content !== undefined && typeof content !== 'string')) {
      throw new EnsembleError('BackendError', `malformed chat completion from ${this.location}: no choices[0].message`);
    }
    const tokens = wantLogprobs ? parseWireLogprobs(choice.logprobs?.content) : null;
    return labelScoresFromAnswer(content ?? '', tokens, req);
  }

  async generate(req: GenerateRequest, signal: AbortSignal, onToken?: TokenListener): Promise<{ text: string }> {
    const body = (constrained: boolean) => ({
      model: servedModelName(this.entry), // a vLLM LoRA adapter is served under its own name
      ...loraRequestFields(this.entry),
      messages: chatMessages(req),
      max_tokens: req.maxTokens,
      temperature: req.temperature ?? 0,
      stream: true,
      // OpenAI, vLLM (structured outputs) and llama.cpp server all read response_format json_schema.
      ...(constrained && req.jsonSchema
        ? { response_format: { type: 'json_schema', json_schema: { name: 'output', schema: req.jsonSchema, strict: true } } }
        : {}),
    });
    const constrained = req.jsonSchema !== undefined && !this.schemaRefused;
    try {
      return await this.streamChat(body(constrained), signal, onToken);
    } catch (e) {
      // A server without structured outputs still answers; the caller parses and validates the JSON.
      if (!constrained || !refuses(e, /response_format|json_schema|structured|grammar/i)) throw e;
      this.schemaRefused = true;
      return this.streamChat(body(false), signal, onToken);
    }
  }

  private async streamChat(body: unknown, signal: AbortSignal, onToken?: TokenListener): Promise<{ text: string }> {
    let text = '';
    let finished = false;
    for await (const data of sseData(this.http.postLines('/chat/completions', body, signal))) {
      if (data === '[DONE]') {
        finished = true;
        break;
      }
      let chunk: ChatChunk;
      try {
        chunk = JSON.parse(data) as ChatChunk;
      } catch (e) {
        throw new EnsembleError('BackendError', `invalid JSON in stream from ${this.location}: ${data.slice(0, 200)}`, undefined, {
          cause: e,
        });
      }
      if (chunk.error !== undefined) {
        throw new EnsembleError('BackendError', `${this.location} failed mid-stream: ${serverErrorMessage(chunk)}`);
      }
      const choice = chunk.choices?.[0];
      const piece = choice?.delta?.content;
      if (typeof piece === 'string' && piece) {
        text += piece;
        onToken?.(piece);
      }
      if (choice?.finish_reason) finished = true;
    }
    if (!finished) throw new EnsembleError('BackendError', `${this.location} closed the stream before the answer was complete`);
    return { text };
  }

  async health(signal: AbortSignal): Promise<Health> {
    const keyEnv = this.entry.apiKeyEnv;
    if (keyEnv && !this.env[keyEnv]) {
      return {
        ok: false,
        reason: `environment variable ${keyEnv} (the model's apiKeyEnv) is not set`,
        hint: `export ${keyEnv}=<your key> before starting the daemon, or remove "apiKeyEnv"`,
      };
    }
    try {
      const list = await this.http.getJson<{ data?: { id?: unknown; owned_by?: unknown; meta?: { size?: unknown } | null }[] }>(
        '/models',
        signal,
      );
      const models = Array.isArray(list?.data) ? list.data.filter((m) => typeof m?.id === 'string') : [];
      const mine = models.find((m) => m.id === servedModelName(this.entry));
      const size = mine?.meta?.size ?? (models.length === 1 ? models[0]?.meta?.size : undefined);
      const memoryBytes = typeof size === 'number' ? size : undefined;
      // llama.cpp serves one model and answers whatever "model" says; an empty list tells nothing.
      if (mine || models.length === 0 || (models.length === 1 && models[0]?.owned_by === 'llamacpp')) {
        return memoryBytes === undefined ? { ok: true } : { ok: true, memoryBytes };
      }
      const ids = models.map((m) => m.id as string);
      return {
        ok: false,
        reason: `${this.location} does not serve model "${servedModelName(this.entry)}" (it serves ${ids.map((i) => `"${i}"`).join(', ')})`,
        hint: `set "model" to one of: ${ids.join(', ')}`,
      };
    } catch (e) {
      return this.unhealthy(asEnsembleError(e, 'BackendError'));
    }
  }

  async dispose(): Promise<void> {
    await this.http.close();
  }

  private authHeaders(): Record<string, string> {
    const key = this.entry.apiKeyEnv ? this.env[this.entry.apiKeyEnv] : undefined;
    return key ? { authorization: `Bearer ${key}` } : {};
  }

  private unhealthy(err: EnsembleError): Health {
    const data = (err.data ?? {}) as Partial<HttpErrorData>;
    const status = data.status;
    if (status === 404 || status === 405) {
      // Servers without /models still serve chat completions under /v1; a base URL missing /v1 does not.
      if (/\/v1\/?$/.test(this.location)) return { ok: true };
      return {
        ok: false,
        reason: `${this.http.url('/models')} answered ${status}`,
        hint: `OpenAI-compatible servers serve under /v1: try "baseUrl": "${trimEndChars(this.location, '/')}/v1"`,
      };
    }
    if (status === 401 || status === 403) {
      return {
        ok: false,
        reason: `${this.location} refused the request (${status}): ${data.serverMessage ?? ''}`.trim(),
        hint: this.entry.apiKeyEnv
          ? `check the API key in ${this.entry.apiKeyEnv}`
          : 'set "apiKeyEnv" to the name of an environment variable that holds the API key',
      };
    }
    if (err.kind === 'BackendBusy') {
      return {
        ok: false,
        reason: `${this.location} is busy or still loading the model: ${data.serverMessage ?? err.message}`,
        hint: 'wait for it to finish loading, then retry',
      };
    }
    if (err.kind === 'RequestCancelled') return { ok: false, reason: 'health check cancelled' };
    return data.hint ? { ok: false, reason: data.reason ?? err.message, hint: data.hint } : { ok: false, reason: err.message };
  }
}

function refusesLogprobs(e: unknown): boolean {
  return refuses(e, /logprob/i);
}

/** The server refused a parameter named in its 400/422 message (so the request may go without it). */
function refuses(e: unknown, parameter: RegExp): boolean {
  if (!(e instanceof EnsembleError) || e.kind !== 'BackendError') return false;
  const data = (e.data ?? {}) as Partial<HttpErrorData>;
  return (data.status === 400 || data.status === 422) && parameter.test(data.serverMessage ?? '');
}

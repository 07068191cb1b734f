/**
 * Ollama on its native API (not its OpenAI shim, which has no logprobs).
 *
 * Wire shapes followed: Ollama's api/types.go (ChatRequest with `logprobs`/`top_logprobs` 0-20,
 * ChatResponse with `logprobs: [{token, logprob, bytes, top_logprobs}]`, added in v0.12.11;
 * ListResponse) and docs.ollama.com/api (chat, tags, version, errors):
 * - classify: POST /api/chat `stream: false`, `options: {temperature, num_predict}`; servers older
 *   than 0.12.11 ignore `logprobs` and answer without them, so the vote degrades to a verbalized
 *   confidence or none;
 * - generate: POST /api/chat streaming NDJSON, one `{message: {content}, done}` per line; a failure
 *   after the stream started arrives as a `{"error": "..."}` line with status 200;
 * - errors: `{"error": "..."}`; 404 on chat means the model is not pulled;
 * - health: GET /api/version `{version}`, GET /api/tags `{models: [{name, model, size}]}`.
 */
import type { OllamaModelEntry } from '../../protocol/config';
import { EnsembleError, asEnsembleError } from '../../protocol/errors';
import type { Backend, GenerateRequest, Health, LabelRequest, LabelScores, TokenListener } from './backend';
import { chatMessages } from './chatMessages';
import { HttpClient, serverErrorMessage, type HttpErrorData } from './httpJson';
import { labelScoresFromAnswer, parseWireLogprobs } from './labelLogprobs';
import { chatPrompt } from './prompts';

/** Ollama's maximum top_logprobs. */
const TOP_LOGPROBS = 20;

type Message = { role: 'system' | 'user'; content: string };

interface ChatResponse {
  error?: unknown;
  message?: { content?: unknown };
  done?: unknown;
  logprobs?: unknown;
}

interface TagsResponse {
  models?: { name?: unknown; model?: unknown; size?: unknown }[];
}

/** `ollama pull llama3.2` pulls "llama3.2:latest". */
function canonical(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

export class OllamaBackend implements Backend {
  readonly kind = 'ollama' as const;
  /** Ollama's own default parallelism per model (OLLAMA_NUM_PARALLEL) is 4 or 1 by memory. */
  readonly traits = { local: false, defaultConcurrency: 4, settlesOnAbort: true } as const;
  readonly id: string;
  readonly location: string;
  private readonly http: HttpClient;

  constructor(private readonly entry: OllamaModelEntry) {
    this.id = entry.id;
    this.location = entry.baseUrl;
    this.http = new HttpClient({
      baseUrl: entry.baseUrl,
      maxConcurrency: entry.maxConcurrency,
      timeoutMs: entry.timeoutMs,
      unreachableHint: 'start Ollama (`ollama serve`) or fix "baseUrl" in the config',
    });
  }

  async classify(req: LabelRequest, signal: AbortSignal): Promise<LabelScores> {
    const prompt = chatPrompt(req);
    const body = {
      model: this.entry.model,
      messages: [
        { role: 'system', content: prompt.system },
        { role: 'user', content: prompt.user },
      ] satisfies Message[],
      stream: false,
      options: { temperature: req.temperature ?? 0, num_predict: prompt.maxTokens, ...(req.seed !== undefined ? { seed: req.seed } : {}) },
      ...(this.entry.logprobs ? { logprobs: true, top_logprobs: TOP_LOGPROBS } : {}),
    };
    const res = await this.chat<ChatResponse>(body, signal);
    const content = res?.message?.content;
    if (typeof content !== 'string')
      throw new EnsembleError('BackendError', `malformed chat response from ${this.location}: no message.content`);
    const tokens = this.entry.logprobs ? parseWireLogprobs(res.logprobs) : null;
    return labelScoresFromAnswer(content, tokens, req);
  }

  async generate(req: GenerateRequest, signal: AbortSignal, onToken?: TokenListener): Promise<{ text: string }> {
    const body = {
      model: this.entry.model,
      messages: chatMessages(req),
      stream: true,
      // Ollama constrains the output to a JSON schema given as `format` (0.5+).
      ...(req.jsonSchema ? { format: req.jsonSchema } : {}),
      options: { temperature: req.temperature ?? 0, num_predict: req.maxTokens },
    };
    let text = '';
    try {
      for await (const line of this.http.postLines('/api/chat', body, signal)) {
        if (!line.trim()) continue;
        let chunk: ChatResponse;
        try {
          chunk = JSON.parse(line) as ChatResponse;
        } catch (e) {
          throw new EnsembleError('BackendError', `invalid JSON in stream from ${this.location}: ${line.slice(0, 200)}`, undefined, {
            cause: e,
          });
        }
        if (chunk.error !== undefined)
          throw new EnsembleError('BackendError', `${this.location} failed mid-stream: ${serverErrorMessage(chunk)}`);
        const piece = chunk.message?.content;
        if (typeof piece === 'string' && piece) {
          text += piece;
          onToken?.(piece);
        }
        if (chunk.done === true) return { text };
      }
    } catch (e) {
      throw this.notPulled(e);
    }
    throw new EnsembleError('BackendError', `${this.location} closed the stream before the answer was complete`);
  }

  async health(signal: AbortSignal): Promise<Health> {
    try {
      await this.http.getJson('/api/version', signal);
      const tags = await this.http.getJson<TagsResponse>('/api/tags', signal);
      const want = canonical(this.entry.model);
      const found = (Array.isArray(tags?.models) ? tags.models : []).find(
        (m) => (typeof m?.name === 'string' && canonical(m.name) === want) || (typeof m?.model === 'string' && canonical(m.model) === want),
      );
      if (!found) return this.missing();
      // The GGUF size: a lower bound of what the loaded model takes (the KV cache comes on top).
      return typeof found.size === 'number' ? { ok: true, memoryBytes: found.size } : { ok: true };
    } catch (e) {
      const err = asEnsembleError(e, 'BackendError');
      const data = (err.data ?? {}) as Partial<HttpErrorData>;
      if (err.kind === 'RequestCancelled') return { ok: false, reason: 'health check cancelled' };
      return data.hint ? { ok: false, reason: data.reason ?? err.message, hint: data.hint } : { ok: false, reason: err.message };
    }
  }

  async dispose(): Promise<void> {
    await this.http.close();
  }

  private async chat<T>(body: unknown, signal: AbortSignal): Promise<T> {
    try {
      return await this.http.postJson<T>('/api/chat', body, signal);
    } catch (e) {
      throw this.notPulled(e);
    }
  }

  /** Ollama answers 404 `{"error": "model 'x' not found"}` for a model it does not have. */
  private notPulled(e: unknown): unknown {
    if (e instanceof EnsembleError && (e.data as Partial<HttpErrorData> | undefined)?.status === 404) {
      const { reason, hint } = this.missing();
      return new EnsembleError('ModelUnavailable', `${reason}; ${hint}`, { ...(e.data as object), reason, hint }, { cause: e });
    }
    return e;
  }

  private missing(): Health & { reason: string; hint: string } {
    return { ok: false, reason: `model ${this.entry.model} is not pulled`, hint: `run \`ollama pull ${this.entry.model}\`` };
  }
}

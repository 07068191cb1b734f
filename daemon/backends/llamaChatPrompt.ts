/**
 * What LlamaCppBackend.classify scores the labels after, as tokens.
 *
 * A model whose GGUF has `tokenizer.chat_template` (the instruct models people run) is asked
 * inside its own chat format: system = chatPrompt(req).system, user = chatPrompt(req).user,
 * rendered by node-llama-cpp's resolved chat wrapper (the one LlamaChatSession uses) up to the
 * start of the assistant's turn, special tokens parsed in the template's text but never in the
 * messages. Each label is then scored as the start of the assistant's reply: the label itself for
 * `direct` ("Reply with the label only"), after "Answer:" for the styles told to reply
 * "Answer: <label>" (`withConfidence`; `stepByStep` after its reasoning, in the same turn).
 * Models without a template get the plain completion prompt ("...\nAnswer:" + " label").
 */
import type { ChatWrapper, LlamaModel, LlamaText, Token } from 'node-llama-cpp';
import { EnsembleError } from '../../protocol/errors';
import type { LabelRequest } from './backend';
import { answerLinePrompt, chatPrompt, completionPrompt, reasoningPrompt } from './prompts';

/** Tokens of reasoning generated before the answer line (`stepByStep`). */
export const REASONING_TOKENS = 48;

export interface ScoringPrompt {
  /** Rendered with the model's chat template; false: the plain completion prompt. */
  chat: boolean;
  /** What the model reads before the answer (BOS included), evaluated once per request. */
  tokens: Token[];
  /** The prompt as text, the template's special tokens written out (BOS aside on the plain path). */
  text: string;
  /** Each label's tokens as the answer, in the request's order. */
  labels: Token[][];
  /** Tokens that end an answer, scored when one label's tokens start another's ("card" / "card arrival"). */
  ends: Token[];
}

/**
 * The model's chat wrapper as LlamaChatSession resolves it, or null when the GGUF has no chat
 * template or the wrapper cannot render a system + user exchange (the plain prompt is used then).
 */
export async function resolveScoringChat(model: LlamaModel): Promise<ChatWrapper | null> {
  const template: unknown = model.fileInfo.metadata?.tokenizer?.chat_template;
  if (typeof template !== 'string' || template.trim() === '') return null;
  const { resolveChatWrapper } = await import('node-llama-cpp');
  try {
    const chat = resolveChatWrapper(model);
    renderChat(model, chat, 'Classify.', 'Text.');
    return chat;
  } catch {
    return null;
  }
}

/** The prompt whose continuation is scored for each label; `reasoning`: the model's own, for `stepByStep`. */
export function renderScoringPrompt(model: LlamaModel, chat: ChatWrapper | null, req: LabelRequest, reasoning?: string): ScoringPrompt {
  if (!chat) {
    const prompt = answerLinePrompt(completionPrompt(req), reasoning);
    const tokens = promptToTokens(model, prompt);
    const labels = req.labels.map((label) => continuationTokens(model, prompt, ` ${label}`, tokens));
    return { chat: false, tokens, text: prompt, labels, ends: baseEnds(model) };
  }
  const { system, user } = chatPrompt(req);
  const rendered = renderChat(model, chat, system, user);
  const reply = replyBeforeLabel(req, reasoning);
  // The reply starts a text segment of its own after the template's special tokens, and is
  // tokenized as one (SentencePiece models get their leading-space marker, as they generate it).
  const replyTokens = reply ? model.tokenize(reply, false) : [];
  const labels = req.labels.map((label) => {
    if (!reply) return model.tokenize(label, false);
    const full = model.tokenize(`${reply} ${label}`, false);
    if (full.length > replyTokens.length && replyTokens.every((t, i) => full[i] === t)) return full.slice(replyTokens.length);
    return model.tokenize(` ${label}`, false, 'trimLeadingSpace');
  });
  const ends = new Set(baseEnds(model));
  if (model.tokens.eot !== null) ends.add(model.tokens.eot);
  for (const trigger of rendered.stop) {
    const t = trigger.tokenize(model.tokenizer);
    if (t.length === 1) ends.add(t[0]!); // the template's end of turn (<|im_end|>, <|eot_id|>, ...)
  }
  return { chat: true, tokens: [...rendered.tokens, ...replyTokens], text: rendered.text + reply, labels, ends: [...ends] };
}

/**
 * What `stepByStep` generates its reasoning from, and where it stops: the plain reasoning prompt,
 * or the chat rendered up to the assistant's turn (as tokens LlamaCompletion, which prepends BOS
 * itself when the model wants one, takes as they are).
 */
export function reasoningInput(
  model: LlamaModel,
  chat: ChatWrapper | null,
  req: LabelRequest,
): { input: string | Token[]; stop: (string | LlamaText)[] } {
  if (!chat) return { input: reasoningPrompt(completionPrompt(req)), stop: ['\n\n', 'Answer:'] };
  const { system, user } = chatPrompt(req);
  const { tokens, stop } = renderChat(model, chat, system, user);
  const bos = model.tokens.bos;
  const input = bos !== null && model.tokens.shouldPrependBosToken && tokens[0] === bos ? tokens.slice(1) : tokens;
  return { input, stop: ['Answer:', ...stop] };
}

/**
 * The scoring prompt for `req`, its text shortened (keeping its start and end) until prompt,
 * reasoning room and the longest label fit `contextSize`; BadInput when even a short text does not.
 */
export function fitScoringPrompt(
  model: LlamaModel,
  chat: ChatWrapper | null,
  req: LabelRequest,
  contextSize: number,
  modelName: string,
): { req: LabelRequest; prompt: ScoringPrompt } {
  const room = contextSize - (req.promptStyle === 'stepByStep' ? REASONING_TOKENS + 16 : 0) - 8;
  let text = req.text;
  for (let attempt = 0; attempt < 6; attempt++) {
    const fitted = { ...req, text };
    const prompt = renderScoringPrompt(model, chat, fitted);
    const need = prompt.tokens.length + Math.max(...prompt.labels.map((t) => t.length)) + 1;
    if (need <= room) return { req: fitted, prompt };
    const keep = Math.floor(text.length * (room / need) * 0.9) - 5;
    if (keep < 16) break;
    text = `${text.slice(0, Math.ceil(keep / 2))} … ${text.slice(text.length - Math.floor(keep / 2))}`;
  }
  throw new EnsembleError('BadInput', `the instruction and labels do not fit the ${contextSize}-token context of ${modelName}`);
}

/** Tokens of a prompt as LlamaCompletion feeds them: BOS, then the text without SentencePiece's extra leading space. */
export function promptToTokens(model: LlamaModel, text: string): Token[] {
  const bos = model.tokens.bos;
  if (bos !== null && model.tokens.shouldPrependBosToken) return [bos, ...model.tokenize(text, false, 'trimLeadingSpace')];
  return model.tokenize(text, false);
}

/**
 * The tokens `continuation` takes after `prompt`: the tail of tokenizing both together when that
 * keeps the prompt's tokens intact (the usual case), else the continuation on its own.
 */
export function continuationTokens(model: LlamaModel, prompt: string, continuation: string, promptTokens: Token[]): Token[] {
  const full = promptToTokens(model, prompt + continuation);
  if (full.length > promptTokens.length && promptTokens.every((t, i) => full[i] === t)) return full.slice(promptTokens.length);
  return model.tokenize(continuation, false, 'trimLeadingSpace');
}

/** What the assistant writes before the label, per the style's instruction in chatPrompt. */
function replyBeforeLabel(req: LabelRequest, reasoning: string | undefined): string {
  if (req.promptStyle === 'direct') return '';
  return reasoning ? `${reasoning.trim()}\nAnswer:` : 'Answer:';
}

/** System + user rendered up to the assistant's turn, tokenized as LlamaChat does (plus BOS when the model wants one the template lacks). */
function renderChat(
  model: LlamaModel,
  chat: ChatWrapper,
  system: string,
  user: string,
): { tokens: Token[]; text: string; stop: LlamaText[] } {
  const state = chat.generateContextState({
    chatHistory: [
      { type: 'system', text: system },
      { type: 'user', text: user },
      { type: 'model', response: [] },
    ],
  });
  let tokens = state.contextText.tokenize(model.tokenizer);
  const bos = model.tokens.bos;
  if (bos !== null && model.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens = [bos, ...tokens];
  const json = state.contextText.toJSON();
  const text = (typeof json === 'string' ? [json] : json)
    .map((v) =>
      typeof v === 'string'
        ? v
        : v.type === 'specialTokensText'
          ? v.value
          : model.detokenize(model.tokenize(v.value as 'BOS', 'builtin'), true),
    )
    .join('');
  return { tokens, text, stop: state.stopGenerationTriggers };
}

function baseEnds(model: LlamaModel): Token[] {
  // SentencePiece gives [▁, <0x0A>] for "\n" even with trimLeadingSpace: the newline is the last token.
  const ends = new Set<Token>(model.tokenize('\n', false, 'trimLeadingSpace').slice(-1));
  if (model.tokens.eos !== null) ends.add(model.tokens.eos);
  return [...ends];
}

/**
 * Tiny llama GGUF models generated on the spot (milliseconds, a few hundred KB): the test suites'
 * fixtures (no binary is committed, no model downloaded) and the toy pool of `ensemble demo` when
 * the real models cannot be fetched. They load and run in real llama.cpp; they understand nothing.
 *
 * Vocabulary (SentencePiece-style, `tokenizer.ggml.model = "llama"`): <unk>, <s>, </s>, the 256
 * byte tokens, then "▁", printable ASCII characters and every prefix of "▁word" for each word
 * (every prefix is needed so SentencePiece merges reach the whole word: " bug" -> [▁bug]).
 *
 * Model kinds:
 * - random: seeded random weights, a "real looking" model (output is gibberish but reproducible);
 * - successor: token i is followed by token i+1 with logit 10, every other token logit 0, so
 *   probabilities are known analytically (`successorProbability`);
 * - label: whatever the context, the same next-token distribution, in which the tokens of the
 *   favoured word get logit `strength` and other label words logit 0, so label scoring votes for
 *   `favor` with a confidence tests can compute (`expected`).
 * In successor and label models the attention and FFN outputs are zero, so the residual stream
 * stays the token embedding; the blocks still run real (random) Q/K/V/gate/up maths in llama.cpp.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeGguf, type GgufEntry, type GgufTensor } from './writer';

export const DEFAULT_WORDS = ['hello', 'world', 'the', 'fun', 'bug', 'feature', 'question', 'positive', 'negative', 'neutral', 'yes', 'no'];

const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

export interface Vocabulary {
  tokens: string[];
  scores: number[];
  types: number[];
  /** token text -> id */
  ids: Map<string, number>;
}

/**
 * `special` (e.g. a chat template's "<|im_start|>") are appended as control tokens after all the
 * others, so every other token keeps its id; llama.cpp parses them only in special-token text.
 */
export function buildVocabulary(words: readonly string[] = DEFAULT_WORDS, special: readonly string[] = []): Vocabulary {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types: number[] = [TOKEN_TYPE.unknown, TOKEN_TYPE.control, TOKEN_TYPE.control];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_TYPE.byte);
  }
  const normal = ['▁'];
  for (let c = 0x21; c < 0x7f; c++) normal.push(String.fromCharCode(c));
  for (const w of words) for (let i = 1; i <= w.length; i++) normal.push(`▁${w.slice(0, i)}`);
  const ids = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const scores = tokens.map(() => 0);
  for (const t of normal) {
    if (ids.has(t)) continue;
    ids.set(t, tokens.length);
    scores.push(-(tokens.length - 259)); // -rank: SentencePiece prefers earlier (higher-scored) pieces
    tokens.push(t);
    types.push(TOKEN_TYPE.normal);
  }
  for (const t of special) {
    if (ids.has(t)) continue;
    ids.set(t, tokens.length);
    scores.push(0);
    tokens.push(t);
    types.push(TOKEN_TYPE.control);
  }
  return { tokens, scores, types, ids };
}

/** The "<|...|>" markers of a chat template (ChatML's <|im_start|>, <|im_end|>, Phi's <|im_sep|>...). */
export function templateMarkers(chatTemplate: string | undefined): string[] {
  return [...new Set(chatTemplate?.match(/<\|[^|<>\s]+\|>/g) ?? [])];
}

/** mulberry32: small, seedable, reproducible across platforms. */
export function prng(seed: number): { uniform(): number; normal(): number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

export interface Hyper {
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  ctx: number;
  eps: number;
}

/** Three "families" with different shapes, so a pool of label models is not three copies of one net. */
export const FAMILIES: Record<'a' | 'b' | 'c', Omit<Hyper, 'ctx' | 'eps'>> = {
  a: { nEmbd: 64, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 128 },
  b: { nEmbd: 96, nLayer: 3, nHead: 6, nHeadKv: 6, nFf: 192 },
  c: { nEmbd: 48, nLayer: 1, nHead: 2, nHeadKv: 1, nFf: 160 },
};

export function metadata(name: string, h: Hyper, v: Vocabulary, chatTemplate?: string): GgufEntry[] {
  const u32 = (key: string, value: number): GgufEntry => ({ key, type: 'u32', value });
  const entries: GgufEntry[] = [
    { key: 'general.architecture', type: 'str', value: 'llama' },
    { key: 'general.name', type: 'str', value: name },
    u32('general.file_type', 1),
    u32('llama.context_length', h.ctx),
    u32('llama.embedding_length', h.nEmbd),
    u32('llama.block_count', h.nLayer),
    u32('llama.feed_forward_length', h.nFf),
    u32('llama.attention.head_count', h.nHead),
    u32('llama.attention.head_count_kv', h.nHeadKv),
    u32('llama.rope.dimension_count', h.nEmbd / h.nHead),
    { key: 'llama.attention.layer_norm_rms_epsilon', type: 'f32', value: h.eps },
    { key: 'tokenizer.ggml.model', type: 'str', value: 'llama' },
    { key: 'tokenizer.ggml.tokens', type: 'arr', itemType: 'str', values: v.tokens },
    { key: 'tokenizer.ggml.scores', type: 'arr', itemType: 'f32', values: v.scores },
    { key: 'tokenizer.ggml.token_type', type: 'arr', itemType: 'i32', values: v.types },
    u32('tokenizer.ggml.unknown_token_id', 0),
    u32('tokenizer.ggml.bos_token_id', 1),
    u32('tokenizer.ggml.eos_token_id', 2),
    { key: 'tokenizer.ggml.add_bos_token', type: 'bool', value: true },
  ];
  if (chatTemplate) entries.push({ key: 'tokenizer.chat_template', type: 'str', value: chatTemplate });
  return entries;
}

/** The nine per-block tensors. `zeroOutputs` zeroes attn_output and ffn_down so blocks add nothing. */
export function blocks(h: Hyper, rnd: () => number, scale: number, zeroOutputs: boolean, type: 'f32' | 'f16' = 'f16'): GgufTensor[] {
  const hd = h.nEmbd / h.nHead;
  const mat = (name: string, dims: [number, number], zero = false): GgufTensor => {
    const data = new Float32Array(dims[0] * dims[1]);
    if (!zero) for (let i = 0; i < data.length; i++) data[i] = rnd() * scale;
    return { name, dims, data, type };
  };
  const ones = (name: string): GgufTensor => ({ name, dims: [h.nEmbd], data: new Float32Array(h.nEmbd).fill(1) });
  const out: GgufTensor[] = [];
  for (let l = 0; l < h.nLayer; l++) {
    const p = `blk.${l}.`;
    out.push(
      ones(`${p}attn_norm.weight`),
      mat(`${p}attn_q.weight`, [h.nEmbd, h.nHead * hd]),
      mat(`${p}attn_k.weight`, [h.nEmbd, h.nHeadKv * hd]),
      mat(`${p}attn_v.weight`, [h.nEmbd, h.nHeadKv * hd]),
      mat(`${p}attn_output.weight`, [h.nHead * hd, h.nEmbd], zeroOutputs),
      ones(`${p}ffn_norm.weight`),
      mat(`${p}ffn_gate.weight`, [h.nEmbd, h.nFf]),
      mat(`${p}ffn_down.weight`, [h.nFf, h.nEmbd], zeroOutputs),
      mat(`${p}ffn_up.weight`, [h.nEmbd, h.nFf]),
    );
  }
  return out;
}

export interface WrittenModel {
  path: string;
  bytes: number;
  vocabulary: Vocabulary;
}

export function writeRandomModel(
  path: string,
  opts: { seed: number; words?: readonly string[]; f16?: boolean; chatTemplate?: string; family?: keyof typeof FAMILIES },
): WrittenModel {
  const v = buildVocabulary(opts.words);
  const h: Hyper = { ...FAMILIES[opts.family ?? 'a'], ctx: 512, eps: 1e-5 };
  const r = prng(opts.seed);
  const n = v.tokens.length;
  const randn = (len: number, scale: number): Float32Array => Float32Array.from({ length: len }, () => r.normal() * scale);
  const type = opts.f16 ? 'f16' : 'f32';
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [h.nEmbd, n], data: randn(h.nEmbd * n, 1), type },
    { name: 'output_norm.weight', dims: [h.nEmbd], data: new Float32Array(h.nEmbd).fill(1) },
    { name: 'output.weight', dims: [h.nEmbd, n], data: randn(h.nEmbd * n, 0.3), type },
    ...blocks(h, r.normal, 0.1, false, type),
  ];
  return { path, bytes: writeGguf(path, metadata(`random-${opts.seed}`, h, v, opts.chatTemplate), tensors), vocabulary: v };
}

export const SUCCESSOR_LOGIT = 10;

/** P(next = succ(t) | t) in the successor model: one logit of 10 against vocabSize-1 logits of 0. */
export function successorProbability(vocabSize: number): number {
  return Math.exp(SUCCESSOR_LOGIT) / (Math.exp(SUCCESSOR_LOGIT) + vocabSize - 1);
}

/**
 * A model that always writes `script` (then end of text), whatever the prompt: each piece of the
 * script is a token of its own (appended to the vocabulary as a normal token; spaces as "▁"), the
 * prompt's last token is followed by the first piece, each piece by the next, the last by </s>,
 * all with logit SUCCESSOR_LOGIT against 0 (the successor construction with a scripted order).
 * The pieces must be distinct. Good for exact assertions on generated JSON, answers and streaming.
 */
export function writeScriptedModel(path: string, script: readonly string[], opts: { words?: readonly string[] } = {}): WrittenModel {
  if (new Set(script).size !== script.length || script.length === 0) throw new Error('script pieces must be distinct and at least one');
  const v = buildVocabulary(opts.words);
  const ids = script.map((piece) => {
    const text = piece.replace(/ /g, '▁');
    const existing = v.ids.get(text);
    if (existing !== undefined) return existing;
    v.ids.set(text, v.tokens.length);
    v.tokens.push(text);
    v.scores.push(-1e6); // never preferred when tokenizing a prompt
    v.types.push(1);
    return v.tokens.length - 1;
  });
  const n = v.tokens.length;
  const nEmbd = Math.ceil(n / 32) * 32;
  const h: Hyper = { nEmbd, nLayer: 1, nHead: 4, nHeadKv: 4, nFf: 64, ctx: 512, eps: 1e-12 };
  const embd = new Float32Array(nEmbd * n);
  const output = new Float32Array(nEmbd * n);
  const next = new Map<number, number>(ids.map((id, k) => [id, k + 1 < ids.length ? ids[k + 1]! : 2]));
  for (let i = 0; i < n; i++) {
    embd[i * nEmbd + i] = 1;
    output[(next.get(i) ?? ids[0]!) * nEmbd + i] = SUCCESSOR_LOGIT;
  }
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [nEmbd, n], data: embd },
    { name: 'output_norm.weight', dims: [nEmbd], data: new Float32Array(nEmbd).fill(1 / Math.sqrt(nEmbd)) },
    { name: 'output.weight', dims: [nEmbd, n], data: output },
    ...blocks(h, () => 0, 0, true),
  ];
  return { path, bytes: writeGguf(path, metadata('scripted', h, v), tensors), vocabulary: v };
}

/**
 * Deterministic model: one-hot embeddings (n_embd >= vocab), blocks that add nothing, and an
 * output matrix mapping token i to i+1 with logit 10. Greedy decoding walks the vocabulary in id
 * order: "hello world" -> " t th the f fu fun". RMS-norm epsilon is tiny so logits are 10, not 9.98.
 * With `chatTemplate`, its "<|...|>" markers join the vocabulary as the last (control) tokens, so
 * what the model writes first tells which token a rendered prompt ended with.
 */
export function writeSuccessorModel(path: string, opts: { words?: readonly string[]; chatTemplate?: string } = {}): WrittenModel {
  const v = buildVocabulary(opts.words, templateMarkers(opts.chatTemplate));
  const n = v.tokens.length;
  const nEmbd = Math.ceil(n / 32) * 32;
  const h: Hyper = { nEmbd, nLayer: 1, nHead: 4, nHeadKv: 4, nFf: 64, ctx: 512, eps: 1e-12 };
  const embd = new Float32Array(nEmbd * n);
  const output = new Float32Array(nEmbd * n);
  for (let i = 0; i < n; i++) {
    embd[i * nEmbd + i] = 1;
    output[((i + 1) % n) * nEmbd + i] = SUCCESSOR_LOGIT; // row succ(i) reads dimension i
  }
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [nEmbd, n], data: embd },
    // x = e_i has rms 1/sqrt(n_embd); scaling by the same restores e_i exactly.
    { name: 'output_norm.weight', dims: [nEmbd], data: new Float32Array(nEmbd).fill(1 / Math.sqrt(nEmbd)) },
    { name: 'output.weight', dims: [nEmbd, n], data: output },
    ...blocks(h, () => 0, 0, true),
  ];
  return { path, bytes: writeGguf(path, metadata('successor', h, v, opts.chatTemplate), tensors), vocabulary: v };
}

export interface LabelModel extends WrittenModel {
  family: keyof typeof FAMILIES;
  hyper: Hyper;
  /** The token of a word (what an adapter over `output.weight` writes a logit into). */
  wordToken(word: string): number;
  /**
   * The label distribution full-sequence label scoring must produce (each label one or more words
   * of the vocabulary). When one label's words start another's, the answer's end (newline or
   * </s>) is scored too, as LlamaCppBackend does. `shift` adds logits to words at every position
   * (what a LoRA adapter from the test fixtures' `writeLabelAdapter` does at scale 1).
   */
  expected(labels: readonly string[], shift?: Readonly<Record<string, number>>): Record<string, number>;
}

/** Extra logit for the next word of the favoured phrase (and for its end after the last word). */
const CONTINUATION_LOGIT = 8;
const NEWLINE = 3 + 0x0a; // the byte token <0x0A>

/**
 * A model that answers `favor` whatever the context. Its next-token logits depend only on the
 * previous token:
 * - base: the tokens ▁w of the words of `favor` get `strength`, other label words 0, every other
 *   token a seeded random logit in [-2, 0];
 * - after the i-th word of `favor`, the next word (or, after the last, a newline) gets
 *   +CONTINUATION_LOGIT, so the model "continues the phrase": greedy output "card arrival\n...".
 * After "Answer:" the base applies, so with 3 single-word labels and strength 3, the vote is
 * `favor` with confidence e^3/(e^3+2) = 0.909 (`expected` computes any case).
 *
 * `chatTemplate` is written as `tokenizer.chat_template`, and its "<|...|>" markers join the
 * vocabulary as control tokens (base logit -20: never predicted, so `expected` is unchanged), so a
 * ChatML-style template renders to real special tokens.
 *
 * How: embeddings are [1, one-hot of the favoured word or 0, u] with the random part u of norm 1
 * for other tokens, so every embedding has the same norm and RMS norm scales all of them alike;
 * output rows read dimension 0 (base) and the favoured-word dimensions (continuation).
 */
export function writeLabelModel(
  path: string,
  opts: {
    favor: string;
    words: readonly string[];
    strength?: number;
    seed?: number;
    family?: keyof typeof FAMILIES;
    chatTemplate?: string;
  },
): LabelModel {
  const favorWords = opts.favor.split(/\s+/).filter(Boolean);
  if (new Set(favorWords).size !== favorWords.length) throw new Error(`favor "${opts.favor}" repeats a word`);
  const words = [...new Set([...opts.words.flatMap((w) => w.split(/\s+/)), ...favorWords])].filter(Boolean);
  const markers = templateMarkers(opts.chatTemplate);
  const v = buildVocabulary(words, markers);
  const family = opts.family ?? 'a';
  const h: Hyper = { ...FAMILIES[family], ctx: 512, eps: 1e-6 };
  if (favorWords.length + 2 > h.nEmbd) throw new Error(`favor "${opts.favor}" has too many words for family ${family}`);
  const strength = opts.strength ?? 3;
  const r = prng(opts.seed ?? 1);
  const n = v.tokens.length;
  const wordToken = (w: string): number => {
    const id = v.ids.get(`▁${w}`);
    if (id === undefined) throw new Error(`"${w}" is not a word of the vocabulary`);
    return id;
  };
  const base = Float64Array.from({ length: n }, () => -2 * r.uniform());
  for (const w of words) base[wordToken(w)] = 0;
  for (const w of favorWords) base[wordToken(w)] = strength;
  base[0] = base[1] = -20; // <unk>, <s>: never predicted
  for (const m of markers) base[v.ids.get(m)!] = -20; // nor the chat template's markers
  const favorTokens = favorWords.map(wordToken);
  /** previous token -> [token it boosts] */
  const boosts = new Map(favorTokens.map((t, i) => [t, favorTokens[i + 1] ?? NEWLINE]));
  const logitsAfterBase = (prev: number, shifted: Float64Array): Float64Array => {
    const l = Float64Array.from(shifted);
    const boosted = boosts.get(prev);
    if (boosted !== undefined) l[boosted]! += CONTINUATION_LOGIT;
    return l;
  };

  const embd = new Float32Array(h.nEmbd * n);
  const firstFree = favorTokens.length + 1;
  for (let t = 0; t < n; t++) {
    const row = t * h.nEmbd;
    embd[row] = 1;
    const j = favorTokens.indexOf(t);
    if (j >= 0) {
      embd[row + 1 + j] = 1;
      continue;
    }
    const u = Array.from({ length: h.nEmbd - firstFree }, () => r.normal());
    const norm = Math.hypot(...u);
    u.forEach((x, d) => (embd[row + firstFree + d] = x / norm));
  }
  const scale = 1 / Math.sqrt(2 / h.nEmbd + h.eps); // every dimension after RMS norm (norm weight 1)
  const output = new Float32Array(h.nEmbd * n);
  for (let t = 0; t < n; t++) output[t * h.nEmbd] = base[t]! / scale;
  favorTokens.forEach((t, j) => (output[(favorTokens[j + 1] ?? NEWLINE) * h.nEmbd + 1 + j] = CONTINUATION_LOGIT / scale));
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [h.nEmbd, n], data: embd },
    { name: 'output_norm.weight', dims: [h.nEmbd], data: new Float32Array(h.nEmbd).fill(1) },
    { name: 'output.weight', dims: [h.nEmbd, n], data: output },
    ...blocks(h, r.normal, 0.2, true),
  ];
  const bytes = writeGguf(path, metadata(`label-${family}-${opts.favor}`, h, v, opts.chatTemplate), tensors);

  const logSoftmax = (logits: Float64Array, t: number): number => logits[t]! - Math.log(logits.reduce((a, x) => a + Math.exp(x), 0));
  const expected = (labels: readonly string[], shift: Readonly<Record<string, number>> = {}): Record<string, number> => {
    const shifted = Float64Array.from(base);
    for (const [w, d] of Object.entries(shift)) shifted[wordToken(w)]! += d;
    const logitsAfter = (prev: number): Float64Array => logitsAfterBase(prev, shifted);
    const seqs = labels.map((l) => l.split(/\s+/).map(wordToken));
    const clash = seqs.some((a, i) => seqs.some((b, k) => i !== k && a.length < b.length && a.every((t, q) => b[q] === t)));
    const score = (toks: number[]): number => {
      let lp = 0;
      let prev = -1; // after "Answer:": the base distribution
      for (const t of toks) {
        lp += logSoftmax(logitsAfter(prev), t);
        prev = t;
      }
      if (clash) lp += Math.log(Math.exp(logSoftmax(logitsAfter(prev), NEWLINE)) + Math.exp(logSoftmax(logitsAfter(prev), 2)));
      return lp;
    };
    const scores = seqs.map(score);
    const max = Math.max(...scores);
    const z = scores.reduce((a, x) => a + Math.exp(x - max), 0);
    return Object.fromEntries(labels.map((l, i) => [l, Math.exp(scores[i]! - max) / z]));
  };
  return { path, bytes, vocabulary: v, family, hyper: h, wordToken, expected };
}

export interface PoolModel {
  id: string;
  path: string;
  favors: string;
  family: keyof typeof FAMILIES;
  expected: Record<string, number>;
}

/** One label model per entry of `favors`, cycling through families a, b, c. */
export function writeClassifierPool(
  dir: string,
  opts: { labels: readonly string[]; favors: readonly string[]; strength?: number },
): PoolModel[] {
  mkdirSync(dir, { recursive: true });
  const families = ['a', 'b', 'c'] as const;
  return opts.favors.map((favor, i) => {
    const family = families[i % 3]!;
    const id = `tiny-${family}${i + 1}-${favor.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 64);
    const path = join(dir, `${id}.gguf`);
    const m = writeLabelModel(path, { favor, words: opts.labels, strength: opts.strength, seed: i + 1, family });
    return { id, path, favors: favor, family, expected: m.expected(opts.labels) };
  });
}

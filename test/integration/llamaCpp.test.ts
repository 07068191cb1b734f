/**
 * Real llama.cpp (node-llama-cpp, CPU, threads 1) on models generated into a temp dir. The
 * successor and label models have analytic next-token distributions, so probabilities are
 * asserted exactly, not just "looks plausible".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LlamaCppBackend, sharedLlama } from '../../daemon/backends/llamaCpp';
import { reasoningInput, renderScoringPrompt, resolveScoringChat } from '../../daemon/backends/llamaChatPrompt';
import { answerLinePrompt, chatPrompt, completionPrompt } from '../../daemon/backends/prompts';
import { checkGguf, estimateMemoryBytes } from '../../daemon/gguf/ggufCheck';
import type { LabelRequest } from '../../daemon/backends/backend';
import type { LlamaModel } from 'node-llama-cpp';
import type { LlamaCppModelEntry } from '../../protocol/config';
import {
  successorProbability,
  SUCCESSOR_LOGIT,
  writeClassifierPool,
  writeCorruptModels,
  writeLabelModel,
  writeRandomModel,
  writeSuccessorModel,
  type LabelModel,
  type WrittenModel,
} from '../fixtures/gguf/models';
import { rejectsWith } from '../support/rejectsWith';

const LABELS = ['bug', 'feature', 'question'];
const CHATML =
  "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
/** Phi-4's variant: no built-in wrapper matches it, so node-llama-cpp renders the Jinja template itself. */
const PHI4 =
  "{% for message in messages %}<|im_start|>{{ message['role'] }}<|im_sep|>{{ message['content'] }}<|im_end|>{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant<|im_sep|>{% endif %}";

let dir: string;
const backends: LlamaCppBackend[] = [];
const never = new AbortController().signal;

function backend(id: string, path: string | undefined, extra: Partial<LlamaCppModelEntry> = {}): LlamaCppBackend {
  const entry = {
    id,
    backend: 'llama.cpp',
    contextSize: 512,
    threads: 1,
    gpuLayers: 0,
    ...(path ? { path } : {}),
    ...extra,
  } as LlamaCppModelEntry;
  const b = new LlamaCppBackend(entry);
  backends.push(b);
  return b;
}

function request(promptStyle: LabelRequest['promptStyle'], labels = LABELS): LabelRequest {
  return { text: 'The app crashes when I press save.', labels, promptStyle, instruction: 'Classify the support ticket.' };
}

function timed<T>(label: string, fn: () => T): T {
  const t = performance.now();
  const v = fn();
  console.log(`# ${label}: ${(performance.now() - t).toFixed(1)} ms`);
  return v;
}

let successor: WrittenModel;
let label: LabelModel;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'llamacpp-it-'));
  successor = timed('write successor model', () => writeSuccessorModel(join(dir, 'successor.gguf')));
  label = timed('write label model', () => writeLabelModel(join(dir, 'label.gguf'), { favor: 'bug', words: LABELS, family: 'b' }));
});

after(async () => {
  await Promise.all(backends.map((b) => b.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

describe('successor model: analytic probabilities', () => {
  let b: LlamaCppBackend;
  before(() => {
    b = backend('successor', successor.path);
  });

  it('loads, with memory = file + KV cache', async () => {
    const t = performance.now();
    const h = await b.health(never);
    console.log(`# first health (getLlama + load + context): ${(performance.now() - t).toFixed(0)} ms`);
    assert.equal(h.ok, true, h.reason);
    const check = await checkGguf(successor.path);
    assert.ok(check.ok);
    assert.equal(h.memoryBytes, estimateMemoryBytes(check.summary, 512));
    assert.ok(h.memoryBytes! > statSync(successor.path).size);
  });

  it('scores a continuation with the exact successor probability', async () => {
    const v = successor.vocabulary.tokens.length;
    // "hello world" -> [▁hello, ▁world]; the vocabulary continues ▁t, ▁th, ▁the.
    const hit = await b.logprob('hello world', ' t th the', never);
    assert.ok(Math.abs(hit - 3 * Math.log(successorProbability(v))) < 1e-4, `${hit}`);
    const miss = await b.logprob('hello world', ' the', never);
    const pMiss = 1 / (Math.exp(SUCCESSOR_LOGIT) + v - 1);
    assert.ok(Math.abs(miss - Math.log(pMiss)) < 1e-3, `${miss} vs ${Math.log(pMiss)}`);
  });

  it('gives equal labels equal probability and breaks the tie toward the earlier label', async () => {
    const r = await b.classify(request('direct', ['world', 'hello']), never);
    assert.equal(r.label, 'world');
    assert.ok(Math.abs(r.probabilities.world! - 0.5) < 1e-6);
    assert.equal(r.confidenceSource, 'logprobs');
  });

  it('generates the greedy continuation, honouring maxTokens', async () => {
    const ids = successor.vocabulary.ids;
    const tokens = successor.vocabulary.tokens;
    const next = (n: number) =>
      tokens
        .slice(ids.get('▁world')! + 1, ids.get('▁world')! + 1 + n)
        .join('')
        .replaceAll('▁', ' ')
        .trim();
    assert.equal((await b.generate({ prompt: 'hello world', maxTokens: 6 }, never)).text, next(6));
    assert.equal((await b.generate({ prompt: 'hello world', maxTokens: 2 }, never)).text, next(2));
  });

  it('streams each piece to onToken in order, and the pieces make the text', async () => {
    const pieces: string[] = [];
    const r = await b.generate({ prompt: 'hello world', maxTokens: 6 }, never, (t) => pieces.push(t));
    assert.ok(pieces.length >= 2, `${pieces.length} pieces`);
    assert.equal(pieces.join('').trim(), r.text);
  });

  it('a whole conversation without a chat template is rendered as a transcript ending with the assistant turn', async () => {
    const ids = successor.vocabulary.ids;
    const tokens = successor.vocabulary.tokens;
    // The transcript ends in "Assistant:", whose last token ":" the successor model continues.
    const after = tokens[ids.get(':')! + 1]!.replaceAll('▁', ' ').trim();
    const r = await b.generate(
      {
        prompt: '',
        messages: [
          { role: 'user', content: 'hello' },
          { role: 'assistant', content: 'world' },
          { role: 'user', content: 'fun' },
        ],
        maxTokens: 1,
      },
      never,
    );
    assert.equal(r.text, after);
  });
});

describe('label model: votes for its favourite with logprob confidence', () => {
  let b: LlamaCppBackend;
  before(() => {
    b = backend('label', label.path);
  });

  for (const style of ['direct', 'stepByStep', 'withConfidence'] as const) {
    it(`prompt style ${style}`, async () => {
      const t = performance.now();
      const r = await b.classify(request(style), never);
      console.log(`# classify ${style}: ${(performance.now() - t).toFixed(1)} ms`);
      const expected = label.expected(LABELS);
      assert.equal(r.label, 'bug');
      assert.equal(r.confidenceSource, 'logprobs');
      assert.ok(Math.abs(r.confidence! - expected.bug!) < 1e-4, `${r.confidence} vs ${expected.bug}`);
      assert.ok(r.confidence! > 0.85 && r.confidence! < 0.95);
      const sum = Object.values(r.probabilities).reduce((a, x) => a + x, 0);
      assert.ok(Math.abs(sum - 1) < 1e-9);
      for (const l of LABELS) assert.ok(Math.abs(r.probabilities[l]! - expected[l]!) < 1e-4);
      if (style === 'stepByStep') assert.ok(r.text && r.text.length > 0, 'the reasoning is returned as text');
      else assert.equal(r.text, undefined);
    });
  }

  it('scores multi-token labels as whole sequences', async () => {
    const m = writeLabelModel(join(dir, 'multi.gguf'), {
      favor: 'card arrival',
      words: ['card', 'arrival', 'refund', 'payment'],
      family: 'c',
    });
    const labels = ['payment', 'card arrival', 'refund'];
    const r = await backend('multi', m.path).classify(request('direct', labels), never);
    const expected = m.expected(labels);
    assert.equal(r.label, 'card arrival');
    for (const l of labels) assert.ok(Math.abs(r.probabilities[l]! - expected[l]!) < 1e-4, `${l}: ${r.probabilities[l]} vs ${expected[l]}`);
  });

  it('lets a longer label beat its own prefix when the model says so', async () => {
    const m = writeLabelModel(join(dir, 'prefix.gguf'), { favor: 'card arrival', words: ['card', 'arrival'], family: 'a' });
    // On tokens alone P(" card") >= P(" card arrival") always; end-of-answer scoring settles it.
    const labels = ['card', 'card arrival'];
    const r = await backend('prefix', m.path).classify(request('direct', labels), never);
    assert.equal(r.label, 'card arrival');
    const expected = m.expected(labels);
    assert.ok(expected['card arrival']! > 0.9);
    for (const l of labels) assert.ok(Math.abs(r.probabilities[l]! - expected[l]!) < 1e-4, `${l}: ${r.probabilities[l]} vs ${expected[l]}`);
  });

  it('serves concurrent callers one at a time with identical answers', async () => {
    const results = await Promise.all([1, 2, 3].map(() => b.classify(request('direct'), never)));
    for (const r of results) assert.deepEqual(r, results[0]);
  });

  it('shortens a text too long for the context; refuses labels that cannot fit', async () => {
    const long = { ...request('direct'), text: 'hello world '.repeat(400) };
    const r = await b.classify(long, never);
    assert.equal(r.label, 'bug');
    const tooManyLabels = Array.from({ length: 300 }, (_, i) => `bug${i}`);
    await rejectsWith(b.classify(request('direct', tooManyLabels), never), 'BadInput');
  });
});

describe('classifier pool: three families, known majority', () => {
  it('each model votes for the label it favours', async () => {
    const t = performance.now();
    const pool = writeClassifierPool(join(dir, 'pool'), { labels: LABELS, favors: ['bug', 'bug', 'feature'] });
    console.log(`# write 3-model pool: ${(performance.now() - t).toFixed(1)} ms`);
    assert.deepEqual(
      pool.map((m) => m.family),
      ['a', 'b', 'c'],
    );
    assert.equal(new Set(pool.map((m) => m.id)).size, 3);
    for (const m of pool) {
      assert.ok(statSync(m.path).size < 10 * 2 ** 20);
      const r = await backend(m.id, m.path).classify(request('direct'), never);
      assert.equal(r.label, m.favors);
      assert.ok(Math.abs(r.confidence! - m.expected[m.favors]!) < 1e-4);
    }
  });
});

describe('generation', () => {
  it('uses the chat template when the model has one', async () => {
    // A successor model writes the tokens that follow the prompt's last token, in id order, so its
    // reply shows how the prompt ended. Rendered with ChatML it ends with "<|im_start|>assistant\n":
    // the reply is the bytes after "\n" (0x0B, 0x0C, ..., the leading whitespace trimmed). As a
    // plain completion, "Be brief.\n\nhello" ends with the character "o": the reply is "pqrstuvw".
    const req = { system: 'Be brief.', prompt: 'hello', maxTokens: 8 };
    const chat = writeSuccessorModel(join(dir, 'chat-successor.gguf'), { chatTemplate: CHATML });
    const plain = writeSuccessorModel(join(dir, 'plain-successor.gguf'));
    const afterNewline = Array.from({ length: 8 }, (_, i) => String.fromCharCode(0x0b + i))
      .join('')
      .trim();
    assert.equal((await backend('chat', chat.path).generate(req, never)).text, afterNewline);
    assert.equal((await backend('plain', plain.path).generate(req, never)).text, 'pqrstuvw');
  });

  it('answers a whole conversation in the chat template, streaming, and with a JSON-schema grammar', async () => {
    const m = writeRandomModel(join(dir, 'chat-conv.gguf'), { seed: 5, chatTemplate: CHATML });
    const b = backend('chat-conv', m.path);
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'hello' },
      { role: 'assistant' as const, content: 'world' },
      { role: 'user' as const, content: 'the fun' },
    ];
    const pieces: string[] = [];
    const r = await b.generate({ prompt: '', messages, maxTokens: 6 }, never, (t) => pieces.push(t));
    assert.equal(pieces.join('').trim(), r.text);
    // Whatever the random weights prefer, the grammar only lets through JSON of the schema's shape.
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'], additionalProperties: false };
    const j = await b.generate({ prompt: 'hello', jsonSchema: schema, maxTokens: 24 }, never);
    assert.match(j.text, /^\{\s*"ok"\s*:\s*(true|false)\s*\}$/, j.text);
    await b.dispose();
  });

  it('stops within a token of the signal firing, and the model stays usable', async () => {
    // The label model never emits </s>: "bug\nbug\n..." until maxTokens (context shift past 512).
    const b = backend('abort', label.path);
    await b.health(never);
    const ac = new AbortController();
    // Count the work instead of timing it: abort at the first streamed chunk, then count what follows.
    let chunks = 0;
    let afterAbort = 0;
    const running = b.generate({ prompt: 'hello', maxTokens: 100_000 }, ac.signal, () => {
      chunks++;
      if (ac.signal.aborted) afterAbort++;
      else ac.abort();
    });
    await rejectsWith(running, 'RequestCancelled');
    assert.ok(chunks >= 1, 'generation had started');
    assert.ok(afterAbort <= 1, `${afterAbort} chunks streamed after the abort`);
    assert.equal((await b.generate({ prompt: 'hello world', maxTokens: 4 }, never)).text, 'bug\n bug');
  });

  it('rejects at once with an already-aborted signal, and while queued behind another call', async () => {
    const b = backend('queue', label.path);
    const aborted = AbortSignal.abort();
    await rejectsWith(b.classify(request('direct'), aborted), 'RequestCancelled');
    const first = b.generate({ prompt: 'hello', maxTokens: 200 }, never);
    const ac = new AbortController();
    const queued = b.classify(request('direct'), ac.signal);
    ac.abort();
    await rejectsWith(queued, 'RequestCancelled');
    assert.ok((await first).text.length > 0);
    assert.equal((await b.classify(request('direct'), never)).label, 'bug');
  });
});

describe('bad and missing files never crash the process', () => {
  it('reports each corrupt file as !ok with the reason, and classify as ModelUnavailable', async () => {
    for (const c of writeCorruptModels(join(dir, 'bad'))) {
      const b = backend(`bad-${c.name}`, c.path);
      const h = await b.health(never);
      assert.equal(h.ok, false, c.name);
      assert.ok(h.reason?.includes(c.mentions), `${c.name}: "${h.reason}" should mention "${c.mentions}"`);
      assert.ok(h.hint, `${c.name}: a hint`);
      await rejectsWith(b.classify(request('direct'), never), 'ModelUnavailable');
    }
    // Still alive: no GGML_ASSERT abort took the test process down.
    assert.equal((await backend('alive', label.path).classify(request('direct'), never)).label, 'bug');
  });

  it('explains a missing file and a model that has only a url', async () => {
    const missing = await backend('missing', join(dir, 'nope.gguf')).health(never);
    assert.equal(missing.ok, false);
    assert.match(missing.reason!, /not found/);
    assert.match(missing.hint!, /"path" \(or "url"\) of model "missing" in config\.json/);
    const urlOnly = await backend('url-only', undefined, { url: 'https://example.invalid/m.gguf' }).health(never);
    assert.equal(urlOnly.ok, false);
    assert.match(urlOnly.hint!, /config\.json/);
  });

  it('refuses work after dispose', async () => {
    const b = backend('disposed', label.path);
    assert.equal((await b.health(never)).ok, true);
    await b.dispose();
    await rejectsWith(b.classify(request('direct'), never), 'ModelUnavailable');
    assert.equal((await b.health(never)).ok, false);
  });
});

describe("chat template: labels scored as the start of the assistant's reply", () => {
  let chatml: LabelModel;
  let phi4: LabelModel;
  let b: LlamaCppBackend;
  before(() => {
    chatml = writeLabelModel(join(dir, 'chat-label.gguf'), { favor: 'bug', words: LABELS, family: 'b', chatTemplate: CHATML });
    phi4 = writeLabelModel(join(dir, 'phi4-label.gguf'), { favor: 'feature', words: LABELS, family: 'a', chatTemplate: PHI4 });
    b = backend('chat-label', chatml.path);
  });

  /** The model loaded on its own (tokenizer and template only), for the pure prompt functions. */
  async function withModel<T>(path: string, fn: (model: LlamaModel) => Promise<T>): Promise<T> {
    const model = await (await sharedLlama()).loadModel({ modelPath: path });
    try {
      return await fn(model);
    } finally {
      await model.dispose();
    }
  }

  for (const style of ['direct', 'stepByStep', 'withConfidence'] as const) {
    it(`votes its favourite with exactly the analytic distribution (${style})`, async () => {
      const t = performance.now();
      const r = await b.classify(request(style), never);
      console.log(`# classify ${style} (chat template): ${(performance.now() - t).toFixed(1)} ms`);
      const expected = chatml.expected(LABELS);
      assert.equal(r.label, 'bug');
      assert.equal(r.confidenceSource, 'logprobs');
      for (const l of LABELS)
        assert.ok(Math.abs(r.probabilities[l]! - expected[l]!) < 1e-4, `${l}: ${r.probabilities[l]} vs ${expected[l]}`);
      if (style === 'stepByStep') assert.ok(r.text && r.text.length > 0, 'the reasoning is returned as text');
      else assert.equal(r.text, undefined);
    });
  }

  it("renders system and user with the template up to the assistant's turn, markers as special tokens", async () => {
    const req = request('direct');
    const { system, user } = chatPrompt(req);
    const ids = chatml.vocabulary.ids;
    const p = await withModel(chatml.path, async (model) => renderScoringPrompt(model, await resolveScoringChat(model), req));
    assert.equal(p.chat, true);
    assert.ok(p.text.includes(`<|im_start|>system\n${system}<|im_end|>\n`), p.text);
    assert.ok(p.text.includes(`<|im_start|>user\n${user}<|im_end|>\n`), p.text);
    assert.ok(p.text.endsWith('<|im_start|>assistant\n'), p.text);
    assert.ok(!p.text.includes('Answer:'));
    assert.equal(p.tokens[0], ids.get('<s>'));
    assert.equal(p.tokens.filter((t) => t === ids.get('<|im_start|>')).length, 3);
    assert.equal(p.tokens.filter((t) => t === ids.get('<|im_end|>')).length, 2);
    assert.equal(p.tokens.at(-1), ids.get('<0x0A>'), 'the prompt ends right after "assistant\\n"');
    // Each label is the reply's first tokens: the whole word.
    assert.deepEqual(
      p.labels,
      LABELS.map((l) => [ids.get(`▁${l}`)]),
    );
    // The backend scores exactly this prompt.
    assert.deepEqual(await b.scoringPrompt(req, never), p);
  });

  it('renders a template no built-in wrapper knows with the template itself', async () => {
    const req = request('withConfidence');
    const { system, user } = chatPrompt(req);
    const p = await withModel(phi4.path, async (model) => renderScoringPrompt(model, await resolveScoringChat(model), req));
    assert.equal(p.chat, true);
    assert.ok(p.text.includes(`<|im_start|>system<|im_sep|>${system}<|im_end|><|im_start|>user<|im_sep|>${user}<|im_end|>`), p.text);
    // withConfidence is told to reply "Answer: <label>": the label is scored after that.
    assert.ok(p.text.endsWith('<|im_start|>assistant<|im_sep|>Answer:'), p.text);
    assert.equal(p.tokens.filter((t) => t === phi4.vocabulary.ids.get('<|im_sep|>')).length, 3);
    assert.deepEqual(
      p.labels,
      LABELS.map((l) => [phi4.vocabulary.ids.get(`▁${l}`)]),
    );
    const r = await backend('phi4', phi4.path).classify(req, never);
    const expected = phi4.expected(LABELS);
    assert.equal(r.label, 'feature');
    for (const l of LABELS) assert.ok(Math.abs(r.probabilities[l]! - expected[l]!) < 1e-4, `${l}: ${r.probabilities[l]} vs ${expected[l]}`);
  });

  it('stepByStep: the reasoning, then "Answer:" and the label, all in the assistant\'s turn', async () => {
    const req = request('stepByStep');
    const ids = chatml.vocabulary.ids;
    await withModel(chatml.path, async (model) => {
      const chat = await resolveScoringChat(model);
      const noReasoning = renderScoringPrompt(model, chat, req);
      const withReasoning = renderScoringPrompt(model, chat, req, 'It crashes on save.');
      assert.ok(noReasoning.text.endsWith('<|im_start|>assistant\nAnswer:'), noReasoning.text);
      assert.ok(withReasoning.text.endsWith('<|im_start|>assistant\nIt crashes on save.\nAnswer:'), withReasoning.text);
      const tokens = withReasoning.tokens.map(Number);
      const turn = tokens.lastIndexOf(ids.get('<|im_start|>')!);
      assert.ok(turn > 0 && !tokens.slice(turn).includes(ids.get('<|im_end|>')!), "the assistant's turn is still open");
      assert.deepEqual(
        withReasoning.labels,
        LABELS.map((l) => [ids.get(`▁${l}`)]),
      );
      // The reasoning is generated from the same chat, up to the assistant's turn (LlamaCompletion adds the BOS).
      const { input, stop } = reasoningInput(model, chat, req);
      assert.ok(Array.isArray(input));
      const reasoningFrom = [ids.get('<s>'), ...input.map(Number)];
      assert.deepEqual(noReasoning.tokens.slice(0, reasoningFrom.length).map(Number), reasoningFrom);
      assert.equal(model.detokenize(noReasoning.tokens.slice(reasoningFrom.length)).trim(), 'Answer:');
      assert.ok(stop.includes('Answer:'));
      assert.ok(
        stop.some((t) => typeof t !== 'string' && t.tokenize(model.tokenizer).map(Number).join() === String(ids.get('<|im_end|>'))),
        'stops at the end of the turn',
      );
    });
    const r = await b.classify(req, never);
    assert.equal(r.label, 'bug');
    assert.ok(r.text && r.text.length > 0);
  });

  it('keeps the plain completion prompt for a model without a template', async () => {
    const req = request('direct');
    const p = await withModel(label.path, async (model) => {
      assert.equal(await resolveScoringChat(model), null);
      return renderScoringPrompt(model, null, req);
    });
    assert.equal(p.chat, false);
    assert.equal(p.text, answerLinePrompt(completionPrompt(req)));
    assert.ok(!p.text.includes('<|im_start|>'));
    assert.deepEqual(await backend('plain', label.path).scoringPrompt(req, never), p);
  });

  it('scores multi-token labels and answer ends in the chat turn too', async () => {
    const m = writeLabelModel(join(dir, 'chat-prefix.gguf'), {
      favor: 'card arrival',
      words: ['card', 'arrival', 'refund'],
      family: 'c',
      chatTemplate: CHATML,
    });
    const labels = ['card', 'card arrival', 'refund'];
    const r = await backend('chat-prefix', m.path).classify(request('direct', labels), never);
    const expected = m.expected(labels);
    assert.equal(r.label, 'card arrival');
    for (const l of labels) assert.ok(Math.abs(r.probabilities[l]! - expected[l]!) < 1e-4, `${l}: ${r.probabilities[l]} vs ${expected[l]}`);
  });

  it('shortens a long text from the middle inside the chat prompt; refuses labels that cannot fit', async () => {
    const text = `START ${'hello world '.repeat(400)}END`;
    const req = { ...request('direct'), text };
    const p = await b.scoringPrompt(req, never);
    assert.equal(p.chat, true);
    assert.ok(p.tokens.length + 2 <= 512 - 8, `${p.tokens.length} tokens`);
    assert.match(p.text, /<\|im_start\|>user\nSTART hello world .* … .*hello world END<\|im_end\|>\n<\|im_start\|>assistant\n$/s);
    const r = await b.classify(req, never);
    assert.equal(r.label, 'bug');
    assert.ok(Math.abs(r.confidence! - chatml.expected(LABELS).bug!) < 1e-4);
    const sbs = await b.classify({ ...req, promptStyle: 'stepByStep' }, never);
    assert.equal(sbs.label, 'bug');
    await rejectsWith(
      b.classify(
        request(
          'direct',
          Array.from({ length: 300 }, (_, i) => `bug${i}`),
        ),
        never,
      ),
      'BadInput',
    );
  });

  it('settles with RequestCancelled when cancelled mid-reasoning, and the model stays usable', async () => {
    const c = backend('chat-abort', chatml.path);
    await c.health(never);
    const ac = new AbortController();
    const running = c.classify(request('stepByStep'), ac.signal);
    // A trigger, not a wait: classify has no token hook to abort on, and 48 reasoning tokens take far
    // longer than 2 ms. Were it ever to finish first, the rejection below fails rather than passes.
    setTimeout(() => ac.abort(), 2);
    await rejectsWith(running, 'RequestCancelled');
    const r = await c.classify(request('direct'), never);
    assert.equal(r.label, 'bug');
    assert.ok(Math.abs(r.confidence! - chatml.expected(LABELS).bug!) < 1e-4);
  });
});

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
import { LlamaCppBackend } from '../../daemon/backends/llamaCpp';
import { checkGguf, estimateMemoryBytes } from '../../daemon/backends/ggufCheck';
import type { LabelRequest } from '../../daemon/backends/backend';
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
const CHATML = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

let dir: string;
const backends: LlamaCppBackend[] = [];
const never = new AbortController().signal;

function backend(id: string, path: string | undefined, extra: Partial<LlamaCppModelEntry> = {}): LlamaCppBackend {
  const entry = { id, backend: 'llama.cpp', contextSize: 512, threads: 1, gpuLayers: 0, ...(path ? { path } : {}), ...extra } as LlamaCppModelEntry;
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
    const next = (n: number) => tokens.slice(ids.get('▁world')! + 1, ids.get('▁world')! + 1 + n).join('').replaceAll('▁', ' ').trim();
    assert.equal((await b.generate({ prompt: 'hello world', maxTokens: 6 }, never)).text, next(6));
    assert.equal((await b.generate({ prompt: 'hello world', maxTokens: 2 }, never)).text, next(2));
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
    const m = writeLabelModel(join(dir, 'multi.gguf'), { favor: 'card arrival', words: ['card', 'arrival', 'refund', 'payment'], family: 'c' });
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
    assert.deepEqual(pool.map((m) => m.family), ['a', 'b', 'c']);
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
    const m = writeRandomModel(join(dir, 'chat.gguf'), { seed: 3, chatTemplate: CHATML });
    const r = await backend('chat', m.path).generate({ system: 'Be brief.', prompt: 'hello', maxTokens: 8 }, never);
    assert.equal(typeof r.text, 'string');
  });

  it('stops promptly when the signal fires, and the model stays usable', async () => {
    // The label model never emits </s>: "bug\nbug\n..." until maxTokens (context shift past 512).
    const b = backend('abort', label.path);
    await b.health(never);
    const ac = new AbortController();
    const started = performance.now();
    const running = b.generate({ prompt: 'hello', maxTokens: 100_000 }, ac.signal);
    setTimeout(() => ac.abort(), 30);
    await rejectsWith(running, 'RequestCancelled');
    assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
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

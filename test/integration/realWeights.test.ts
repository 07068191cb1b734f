/**
 * A model with real, trained weights: Karpathy's stories260K (TinyStories, llama architecture, its
 * own 512-token SentencePiece vocabulary, the GGUF conversion stories260k-f32-v3.gguf), at the path
 * ENSEMBLE_STORIES260K names; skipped, with the reason, when it is unset. It knows nothing but children's stories, so this
 * checks the real loading, tokenization, scoring and generation paths, never classification quality.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LlamaCppBackend } from '../../daemon/backends/llamaCpp';
import { LlamaCppModel } from '../../protocol/config';

const MODEL = path.resolve(process.env.ENSEMBLE_STORIES260K?.trim() ?? '');
const absent = !process.env.ENSEMBLE_STORIES260K?.trim()
  ? 'set ENSEMBLE_STORIES260K to the stories260K GGUF (stories260k-f32-v3.gguf) to run these'
  : fs.existsSync(MODEL)
    ? false
    : `${MODEL} not found (ENSEMBLE_STORIES260K)`;

describe('real weights: stories260K through the llama.cpp backend', { skip: absent }, () => {
  let backend: LlamaCppBackend;
  const signal = () => new AbortController().signal;

  before(() => {
    backend = new LlamaCppBackend(LlamaCppModel.parse({ id: 'stories', backend: 'llama.cpp', path: MODEL, threads: 1, contextSize: 256 }));
  });
  after(async () => {
    await backend?.dispose();
  });

  it('loads, with a memory estimate', async () => {
    const health = await backend.health(signal());
    assert.equal(health.ok, true, health.reason);
    assert.ok((health.memoryBytes ?? 0) > fs.statSync(MODEL).size);
  });

  it('writes a story the way the model was trained to', async () => {
    const { text } = await backend.generate({ prompt: 'Once upon a time', maxTokens: 24 }, signal());
    assert.match(text, /there was a little/i);
  });

  it('scores labels from its token probabilities: a story word beats gibberish', async () => {
    const scores = await backend.classify(
      {
        text: 'Lily went to the park with her mom. She was very',
        labels: ['happy', 'xqzv'],
        promptStyle: 'direct',
        instruction: 'How did she feel?',
      },
      signal(),
    );
    assert.equal(scores.confidenceSource, 'logprobs');
    assert.equal(scores.label, 'happy');
    const sum = Object.values(scores.probabilities).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9);
    assert.ok(scores.probabilities.happy! > 0.9, JSON.stringify(scores.probabilities));
  });
});

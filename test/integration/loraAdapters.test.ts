/**
 * LoRA adapter members on real llama.cpp (node-llama-cpp, CPU, threads 1): one generated label
 * model as the base, three generated adapters over its output layer that each favour another label.
 * The adapters' effect is known analytically (LabelModel.expected with the adapter's shift), so the
 * members' probabilities are asserted exactly, and the three members share one loaded base.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LabelRequest } from '../../daemon/backends/backend';
import { LlamaCppBackend, sharedLlama } from '../../daemon/backends/llamaCpp';
import { checkLoraAdapter } from '../../daemon/backends/loraAdapter';
import { checkGguf } from '../../daemon/gguf/ggufCheck';
import { sharedModelUsers } from '../../daemon/backends/sharedModels';
import { LlamaCppModel } from '../../protocol/config';
import { writeLabelAdapter, writeLabelModel, writeRandomModel, type LabelModel } from '../fixtures/gguf/models';

const LABELS = ['bug', 'feature', 'question'];
const never = new AbortController().signal;
const request: LabelRequest = {
  text: 'The app crashes when I press save.',
  labels: LABELS,
  promptStyle: 'direct',
  instruction: 'Classify it.',
};

let dir: string;
let base: LabelModel;
const adapters: Record<string, { path: string; shift: Record<string, number> }> = {};
const backends: LlamaCppBackend[] = [];

function member(id: string, lora?: { path: string; scale?: number }): LlamaCppBackend {
  const b = new LlamaCppBackend(LlamaCppModel.parse({ id, backend: 'llama.cpp', path: base.path, contextSize: 256, threads: 1, lora }));
  backends.push(b);
  return b;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lora-'));
  base = writeLabelModel(join(dir, 'base.gguf'), { favor: 'bug', words: LABELS, strength: 3 });
  // Each adapter lifts one label by 6 logits: more than the base's +3 for "bug", so that label wins.
  for (const label of LABELS) {
    const shift = { [label]: 6 };
    const path = join(dir, `lora-${label}.gguf`);
    writeLabelAdapter(path, base, shift);
    adapters[label] = { path, shift };
  }
});

after(async () => {
  await Promise.all(backends.map((b) => b.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

function assertClose(actual: Record<string, number>, expected: Record<string, number>, what: string): void {
  for (const l of LABELS) assert.ok(Math.abs(actual[l]! - expected[l]!) < 2e-3, `${what}: P(${l}) = ${actual[l]}, expected ${expected[l]}`);
}

describe('LoRA adapter members on real llama.cpp', () => {
  it('three adapters over one base answer differently from the base, each as its shift predicts', async () => {
    const plain = await member('base').classify(request, never);
    assert.equal(plain.label, 'bug');
    assertClose(plain.probabilities!, base.expected(LABELS), 'base');

    const votes = await Promise.all(LABELS.map((l) => member(`lora-${l}`, { path: adapters[l]!.path }).classify(request, never)));
    assert.deepEqual(
      votes.map((v) => v.label),
      ['bug', 'feature', 'question'],
    );
    votes.forEach((v, i) => assertClose(v.probabilities!, base.expected(LABELS, adapters[LABELS[i]!]!.shift), `adapter ${LABELS[i]}`));
    // The "bug" adapter agrees with the base but is surer: it moved the distribution, not only the argmax.
    assert.ok(votes[0]!.confidence! > plain.confidence! + 0.05);
  });

  it('members over one base share one loaded model (its weights once)', async () => {
    const llama = await sharedLlama({ gpu: false });
    assert.equal(sharedModelUsers(llama).get(base.path), 4, 'the base member and three adapter members hold one model');
  });

  it('the scale weakens an adapter (0.5 moves half the logits)', async () => {
    const half = await member('lora-question-half', { path: adapters.question!.path, scale: 0.5 }).classify(request, never);
    assertClose(half.probabilities!, base.expected(LABELS, { question: 3 }), 'scale 0.5');
  });

  it('a bad adapter leaves only its member unavailable, with a reason that names the file', async () => {
    const notAdapter = join(dir, 'not-an-adapter.gguf');
    writeRandomModel(notAdapter, { seed: 3 });
    const health = await member('wrong', { path: notAdapter }).health(never);
    assert.ok(!health.ok);
    assert.match(health.reason ?? '', /invalid LoRA adapter: .*not-an-adapter\.gguf: general\.type is null, expected "adapter"/);

    const garbage = join(dir, 'garbage.gguf');
    writeFileSync(garbage, 'not a gguf at all');
    const h2 = await member('garbage', { path: garbage }).health(never);
    assert.ok(!h2.ok);
    assert.match(h2.reason ?? '', /garbage\.gguf is not a readable GGUF file/);

    const missing = await member('missing', { path: join(dir, 'nope.gguf') }).health(never);
    assert.ok(!missing.ok);
    assert.match(missing.reason ?? '', /LoRA adapter file not found: .*nope\.gguf/);
    // The healthy members still answer.
    assert.equal((await backends[2]!.classify(request, never)).label, 'feature'); // lora-feature
  });

  it('an adapter made for another base is refused before llama.cpp sees it', async () => {
    const other = writeLabelModel(join(dir, 'other.gguf'), { favor: 'bug', words: LABELS, family: 'b' });
    const summary = await checkGguf(other.path);
    assert.ok(summary.ok);
    const r = await checkLoraAdapter(adapters.bug!.path, summary.summary);
    assert.ok(!r.ok);
    assert.match(r.reason, /tensor "output\.weight" has lora_a \[64, 1\] and lora_b \[1, \d+\], which do not fit the base's \[96, \d+\]/);
  });
});

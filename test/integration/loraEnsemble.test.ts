/**
 * Three LoRA adapter members over one generated base, as an ensemble in a real daemon process on
 * real llama.cpp: each member votes as its adapter's known shift predicts, the ensemble's answer
 * differs from the base model's, and the adapters' paths are resolved against ENSEMBLE_HOME/models.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeLabelAdapter, writeLabelModel, type LabelModel } from '../fixtures/gguf/models';
import { LABELS, startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';

const SHIFTS: Record<string, Record<string, number>> = {
  docs: { feature: 6 },
  support: { question: 6 },
  review: { feature: 5, question: 2 },
};

describe('an ensemble of three LoRA adapter members over one base (real daemon, real llama.cpp)', { timeout: 180_000 }, () => {
  let home: string;
  let daemon: TestDaemon;
  let base: LabelModel;

  before(async () => {
    home = tempHome();
    const models = path.join(home, 'models');
    fs.mkdirSync(models, { recursive: true });
    base = writeLabelModel(path.join(models, 'base.gguf'), { favor: 'bug', words: LABELS, strength: 3 });
    for (const [name, shift] of Object.entries(SHIFTS)) writeLabelAdapter(path.join(models, `${name}-lora.gguf`), base, shift);
    const common = { backend: 'llama.cpp', path: 'base.gguf', threads: 1, contextSize: 256 };
    writeConfig(home, {
      models: [
        { id: 'base', ...common },
        ...Object.keys(SHIFTS).map((name) => ({ id: name, ...common, lora: { path: `${name}-lora.gguf` } })),
      ],
      ensembles: {
        adapters: { members: Object.keys(SHIFTS), strategy: 'majority', labels: LABELS },
        plain: { members: ['base'], strategy: 'majority', labels: LABELS },
      },
      defaultEnsemble: 'adapters',
    });
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('each adapter member votes as its shift predicts, and the ensemble answers differently from the base', async () => {
    const conn = await daemon.connect();
    try {
      const plain = await conn.rpc.request('ensemble/classify', { text: 'The app crashes on save.', ensemble: 'plain' });
      assert.equal(plain.label, 'bug');
      const d = await conn.rpc.request('ensemble/classify', { text: 'The app crashes on save.' });
      assert.deepEqual(
        d.votes.map((v) => [v.member, v.status, v.label]),
        [
          ['docs', 'ok', 'feature'],
          ['support', 'ok', 'question'],
          ['review', 'ok', 'feature'],
        ],
      );
      for (const v of d.votes) {
        const expected = base.expected(LABELS, SHIFTS[v.member]!);
        for (const l of LABELS)
          assert.ok(Math.abs(v.probabilities[l]! - expected[l]!) < 2e-3, `${v.member} P(${l}) = ${v.probabilities[l]} vs ${expected[l]}`);
      }
      assert.equal(d.label, 'feature');
      assert.equal(d.agreement, 2 / 3);
      const status = await conn.rpc.request('pool/status', {});
      assert.deepEqual(
        status.models
          .filter((m) => m.state === 'ready')
          .map((m) => m.id)
          .sort(),
        ['base', 'docs', 'review', 'support'],
      );
    } finally {
      conn.close();
    }
  });
});

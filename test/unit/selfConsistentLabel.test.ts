import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LabelRequest, LabelScores } from '../../daemon/backends/backend';
import { agreementOf, sampleLabels } from '../../daemon/ensemble/selfConsistentLabel';
import { applyCalibration } from '../../daemon/learning/applyCalibration';
import { resolveMembers } from '../../daemon/strategies/members';
import { PoolConfig } from '../../protocol/config';

const LABELS = ['bug', 'feature', 'question'];
const said = (label: string | null): LabelScores => ({ label, probabilities: {}, confidence: null, confidenceSource: 'none' });

describe('self-consistency as a label confidence', () => {
  const table: { samples: (string | null)[]; label: string | null; confidence: number | null; probabilities: Record<string, number> }[] = [
    { samples: ['bug', 'bug', 'bug'], label: 'bug', confidence: 1, probabilities: { bug: 1 } },
    { samples: ['bug', 'feature', 'bug'], label: 'bug', confidence: 2 / 3, probabilities: { bug: 2 / 3, feature: 1 / 3 } },
    {
      samples: ['feature', 'bug', 'question', 'bug'],
      label: 'bug',
      confidence: 0.5,
      probabilities: { bug: 0.5, feature: 0.25, question: 0.25 },
    },
    // A tie goes to the label sampled first.
    { samples: ['question', 'bug', 'bug', 'question'], label: 'question', confidence: 0.5, probabilities: { question: 0.5, bug: 0.5 } },
    // Abstentions count in the share and never agree.
    { samples: [null, 'feature', null], label: 'feature', confidence: 1 / 3, probabilities: { feature: 1 / 3 } },
    { samples: [null, null], label: null, confidence: null, probabilities: {} },
  ];
  for (const row of table) {
    it(`${row.samples.map((s) => s ?? '(none)').join(', ')} -> ${row.label} at ${row.confidence}`, () => {
      const scores = agreementOf(row.samples.map(said), LABELS);
      assert.equal(scores.label, row.label);
      assert.equal(scores.confidence, row.confidence);
      assert.deepEqual(scores.probabilities, row.probabilities);
      assert.equal(scores.confidenceSource, row.label === null ? 'none' : 'selfConsistency');
    });
  }

  it('labels differing only in case stay apart', () => {
    const scores = agreementOf(['Bug', 'bug', 'bug'].map(said), ['Bug', 'bug']);
    assert.equal(scores.label, 'bug');
    assert.equal(scores.confidence, 2 / 3);
  });

  it('calibration applies to the agreement like to any confidence', () => {
    const scores = agreementOf(['bug', 'feature', 'bug'].map(said), LABELS);
    const fitted = { model: 'm', n: 50, fittedAt: '2026-01-01T00:00:00Z' };
    const platt = applyCalibration(scores, { ...fitted, method: 'platt', params: { a: 2, b: -1 } });
    // Platt on the log-odds: sigmoid(a·logit(2/3) + b) = sigmoid(2·ln 2 - 1).
    assert.ok(Math.abs(platt.confidence! - 1 / (1 + Math.exp(-(2 * Math.log(2) - 1)))) < 1e-12, `platt gave ${platt.confidence}`);
    const sharper = applyCalibration(scores, { ...fitted, method: 'temperature', params: { temperature: 0.5 } });
    assert.ok(sharper.confidence! > 2 / 3, `temperature 0.5 sharpens the majority's share (${sharper.confidence})`);
  });

  it('asks once per sample, with the temperature and consecutive seeds', async () => {
    const asked: LabelRequest[] = [];
    const answers = ['feature', 'bug', 'feature', 'feature'];
    const req: LabelRequest = { text: 'it crashes', labels: LABELS, promptStyle: 'direct' };
    const scores = await sampleLabels(async (r) => (asked.push(r), said(answers[asked.length - 1]!)), req, {
      samples: 4,
      temperature: 0.7,
      seed: 10,
    });
    assert.deepEqual(
      asked.map((r) => [r.temperature, r.seed, r.text]),
      [
        [0.7, 10, 'it crashes'],
        [0.7, 11, 'it crashes'],
        [0.7, 12, 'it crashes'],
        [0.7, 13, 'it crashes'],
      ],
    );
    assert.equal(scores.label, 'feature');
    assert.equal(scores.confidence, 0.75);
  });

  it('the config sets it on served models only, bounded, and members carry it', () => {
    const base = { id: 'srv', backend: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' };
    const config = PoolConfig.parse({
      models: [{ ...base, selfConsistency: { samples: 5 } }],
      ensembles: { default: { members: ['srv'], labels: LABELS } },
    });
    const [member] = resolveMembers(config.ensembles.default!, config.models);
    assert.deepEqual(member!.selfConsistency, { samples: 5, temperature: 0.8 });
    for (const bad of [{ samples: 1 }, { samples: 17 }, { samples: 3, temperature: 0 }, { samples: 3, extra: true }])
      assert.equal(
        PoolConfig.safeParse({ models: [{ ...base, selfConsistency: bad }], ensembles: {} }).success,
        false,
        JSON.stringify(bad),
      );
    const llama = { id: 'l', backend: 'llama.cpp', path: 'x.gguf', selfConsistency: { samples: 3 } };
    const parsed = PoolConfig.safeParse({ models: [llama], ensembles: {} });
    assert.ok(
      !parsed.success && /selfConsistency is for "openai" and "ollama"/.test(parsed.error.issues[0]?.message ?? ''),
      'llama.cpp takes no sampling, and says so',
    );
  });
});

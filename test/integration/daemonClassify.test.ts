/**
 * The "done when": a daemon on three generated models answers `ensemble classify --json`
 * with three votes whose confidences come from token probabilities, and the majority recomputed
 * from the votes matches the decision.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Decision } from '../../protocol/ensemble';
import type { ProgressValue } from '../../protocol/methods';
import type { PoolModel } from '../fixtures/gguf/models';
import { LABELS, poolConfig, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';

describe('daemon classification on real llama.cpp', () => {
  let home: string;
  let models: PoolModel[];
  let daemon: TestDaemon;

  before(async () => {
    home = tempHome();
    models = tinyPool(home);
    const config = poolConfig(models);
    config.ensembles = {
      ...config.ensembles,
      styles: {
        members: [models[0]!.id, { model: models[0]!.id, promptStyle: 'stepByStep' }, models[2]!.id],
        strategy: 'weighted',
        labels: LABELS,
      },
      early: { members: models.map((m) => m.id), strategy: 'earlyExit', labels: LABELS, earlyExit: { agreeK: 2, threshold: 0.5 } },
    };
    writeConfig(home, config);
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
  });

  it('writes daemon.json readable by its owner only', () => {
    const mode = fs.statSync(path.join(home, 'daemon.json')).mode & 0o777;
    assert.equal(mode, 0o600);
    assert.equal(daemon.info.protocolVersion, 1);
    assert.ok(daemon.info.token.length >= 32);
  });

  it('ensemble classify --json: three logprob votes, majority recomputed from votes matches', async () => {
    const r = await daemon.cli(['classify', 'the app crashes when I click save', '--labels', LABELS.join(','), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const decision = Decision.parse(JSON.parse(r.stdout));
    assert.equal(decision.votes.length, 3);
    for (const [i, v] of decision.votes.entries()) {
      assert.equal(v.status, 'ok');
      assert.equal(v.confidenceSource, 'logprobs');
      assert.equal(v.model, models[i]!.id);
      assert.equal(v.label, models[i]!.favors);
      const sum = Object.values(v.probabilities).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-6, `probabilities sum to ${sum}`);
      // The generated models' analytic label distribution is what llama.cpp's token probabilities give.
      for (const label of LABELS) {
        assert.ok(
          Math.abs((v.probabilities[label] ?? 0) - models[i]!.expected[label]!) < 0.02,
          `${v.member} P(${label}) = ${v.probabilities[label]} vs ${models[i]!.expected[label]}`,
        );
      }
      assert.equal(v.confidence, v.probabilities[v.label!]);
    }
    const counts = new Map<string, number>();
    for (const v of decision.votes) if (v.label) counts.set(v.label, (counts.get(v.label) ?? 0) + 1);
    const winner = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    assert.equal(decision.label, winner);
    assert.equal(decision.label, 'bug');
    assert.equal(decision.agreement, 2 / 3);
    assert.equal(decision.strategy, 'majority');
    assert.equal(decision.partial, false);
  });

  it('streams each vote as a $/progress notification before the result', async () => {
    const conn = await daemon.connect();
    try {
      const progress: ProgressValue[] = [];
      const decision = await conn.rpc.request(
        'ensemble/classify',
        { text: 'add a dark mode please' },
        { onProgress: (p) => progress.push(p) },
      );
      const votes = progress.filter((p) => p.kind === 'vote');
      assert.equal(votes.length, 3);
      assert.deepEqual(votes.map((p) => p.done).sort(), [1, 2, 3]);
      assert.ok(votes.every((p) => p.kind === 'vote' && p.decisionId === decision.id));
    } finally {
      conn.close();
    }
  });

  it('prompt diversity: one model as two members with different styles', async () => {
    const r = await daemon.cli(['classify', 'where is the manual?', '--ensemble', 'styles', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const d = Decision.parse(JSON.parse(r.stdout));
    assert.deepEqual(
      d.votes.map((v) => v.promptStyle),
      ['direct', 'stepByStep', 'direct'],
    );
    assert.equal(d.votes[0]!.model, d.votes[1]!.model);
    assert.notEqual(d.votes[0]!.member, d.votes[1]!.member);
    assert.equal(d.strategy, 'weighted');
    assert.ok(d.votes.every((v) => v.status === 'ok'));
  });

  it('early exit skips the third member once the first two agree', async () => {
    const r = await daemon.cli(['classify', 'it crashes', '--ensemble', 'early', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const d = Decision.parse(JSON.parse(r.stdout));
    assert.deepEqual(
      d.votes.map((v) => v.status),
      ['ok', 'ok', 'skipped'],
    );
    assert.equal(d.earlyExit, true);
    assert.equal(d.label, 'bug');
  });

  it('human output names the decision, each member and the agreement', async () => {
    const r = await daemon.cli(['classify', 'crash on start']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^bug\s+confidence 0\.67\s+2\/3 agree\s+majority/m);
    for (const m of models) assert.match(r.stdout, new RegExp(`^${m.id}\\s+${m.favors}\\s`, 'm'));
  });

  it('status lists the ready models and the ensembles', async () => {
    const r = await daemon.cli(['status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as {
      models: Array<{ id: string; state: string; memoryBytes?: number }>;
      ensembles: Array<{ name: string; ready: number }>;
    };
    assert.deepEqual(
      status.models.map((m) => m.state),
      ['ready', 'ready', 'ready'],
    );
    assert.ok(status.models.every((m) => (m.memoryBytes ?? 0) > 0));
    assert.equal(status.ensembles.find((e) => e.name === 'default')?.ready, 3);
  });

  it('feedback moves weights, and a model that keeps being wrong loses weight', async () => {
    const conn = await daemon.connect();
    try {
      let weights: Record<string, number> = {};
      for (let i = 0; i < 6; i++) {
        const d = await conn.rpc.request('ensemble/classify', { text: `please add feature ${i}`, strategy: 'weighted' });
        weights = (await conn.rpc.request('feedback/submit', { decisionId: d.id, label: 'bug' })).weights;
      }
      const [a, , c] = models;
      assert.ok(weights[c!.id]! < weights[a!.id]!, `the model voting "feature" should lose weight: ${JSON.stringify(weights)}`);
      const status = await conn.rpc.request('pool/status', {});
      const wrong = status.models.find((m) => m.id === c!.id)!;
      assert.equal(wrong.recentAccuracy, 0);
      assert.equal(wrong.feedbackCount, 6);
    } finally {
      conn.close();
    }
  });
});

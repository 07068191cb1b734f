/**
 * A member replaced in config.json starts afresh: daemon/config/identityLedger.ts remembers which
 * model each id named (across reloads and restarts), and daemon/learning/adaptation.ts stops applying what
 * was learned before the replacement (feedback weights, calibration, an ensemble's fit).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Adaptation } from '../../daemon/learning/adaptation';
import { readLedger, reconcile, writeLedger } from '../../daemon/config/identityLedger';
import { resolveMembers } from '../../daemon/strategies/members';
import { Logger } from '../../daemon/process/log';
import { MemoryStore } from '../../daemon/store/memoryStore';
import { ModelEntry, PoolConfig } from '../../protocol/config';
import type { Decision, Vote } from '../../protocol/ensemble';

const entry = (extra: Record<string, unknown> = {}) => ModelEntry.parse({ id: 'm', backend: 'llama.cpp', path: '/m/a.gguf', ...extra });
const other = ModelEntry.parse({ id: 'o', backend: 'ollama', model: 'qwen2.5:0.5b' });

describe('reconcile', () => {
  it('first sight resets nothing; another model resets from now; settings that keep the model keep the reset time', () => {
    const first = reconcile({}, [entry(), other], 1000);
    assert.deepEqual(first.replaced, []);
    assert.equal(first.freshSince.size, 0);

    const same = reconcile(first.ledger, [entry({ threads: 4, timeoutMs: 5000 }), other], 2000);
    assert.deepEqual(same.replaced, []);
    assert.equal(same.freshSince.size, 0);

    const swapped = reconcile(same.ledger, [entry({ path: '/m/b.gguf' }), other], 3000);
    assert.deepEqual(
      swapped.replaced.map((r) => r.id),
      ['m'],
    );
    assert.match(swapped.replaced[0]!.reason, /model changed/);
    assert.deepEqual([...swapped.freshSince], [['m', 3000]]);

    const later = reconcile(swapped.ledger, [entry({ path: '/m/b.gguf', weight: 2 }), other], 4000);
    assert.deepEqual(later.replaced, []);
    assert.deepEqual([...later.freshSince], [['m', 3000]], 'the reset time stays');
  });

  it('an id that leaves and comes back with another model starts afresh; an unreadable row is ignored', () => {
    const a = reconcile({}, [entry()], 1000);
    const gone = reconcile(a.ledger, [other], 2000);
    assert.ok(gone.ledger.m, 'a removed id is remembered');
    const back = reconcile(gone.ledger, [entry({ path: '/m/c.gguf' })], 3000);
    assert.deepEqual([...back.freshSince], [['m', 3000]]);
    const garbage = reconcile({ m: { entry: { backend: 'nope' }, freshSince: null } }, [entry()], 5000);
    assert.deepEqual(garbage.replaced, []);
  });
});

describe('readLedger / writeLedger', () => {
  it('round-trips; a missing file is empty; a corrupt one is reported and empty', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-ledger-'));
    try {
      const file = path.join(dir, 'model-identities.json');
      const bad: string[] = [];
      assert.deepEqual(
        readLedger(file, (w) => bad.push(w)),
        {},
      );
      const { ledger } = reconcile({}, [entry()], 1000);
      writeLedger(file, ledger);
      assert.deepEqual(
        readLedger(file, (w) => bad.push(w)),
        JSON.parse(JSON.stringify(ledger)),
      );
      assert.equal(bad.length, 0);
      fs.writeFileSync(file, '{"m": {"freshSince": "yesterday"}');
      assert.deepEqual(
        readLedger(file, (w) => bad.push(w)),
        {},
      );
      assert.equal(bad.length, 1);
      assert.ok(bad[0]!.startsWith(file), bad[0]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Adaptation after a replacement', () => {
  const labels = ['bug', 'feature'];
  const vote = (model: string, label: string): Vote => ({
    member: model,
    model,
    promptStyle: 'direct',
    status: 'ok',
    label,
    confidence: 0.7,
    rawConfidence: 0.7,
    confidenceSource: 'logprobs',
    probabilities: { [label]: 0.7, [label === 'bug' ? 'feature' : 'bug']: 0.3 },
    weight: 1,
    latencyMs: 5,
  });
  const decision = (id: string, at: number, votes: Vote[]): Decision => ({
    id,
    ensemble: 'default',
    strategy: 'majority',
    labels,
    label: 'bug',
    confidence: 0.7,
    agreement: 1,
    votes,
    partial: false,
    earlyExit: false,
    note: '',
    elapsedMs: 10,
    createdAt: new Date(at).toISOString(),
    inputHash: `h-${id}`,
  });
  const config = PoolConfig.parse({
    models: [entry(), other],
    ensembles: { default: { members: ['m', 'o'], strategy: 'weighted', labels } },
  });

  it('feedback and a calibration from before the replacement no longer apply to the new model', () => {
    const store = new MemoryStore();
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    // The old "m" was wrong on every item; "o" right.
    for (let i = 0; i < 6; i++)
      store.recordDecision(decision(`d${i}`, t0 + i * 1000, [vote('m', 'feature'), vote('o', 'bug')]), { source: 'live' });
    store.saveCalibration({
      model: 'm',
      method: 'temperature',
      params: { temperature: 3 },
      n: 6,
      fittedAt: new Date(t0 + 10_000).toISOString(),
    });
    const adaptation = new Adaptation(store, new Logger('error', () => {}));
    for (let i = 0; i < 6; i++) adaptation.feedback(`d${i}`, { label: 'bug' }, config);

    const scores = { label: 'bug', probabilities: { bug: 0.8, feature: 0.2 }, confidence: 0.8, confidenceSource: 'logprobs' as const };
    assert.equal(adaptation.feedbackStats('m').feedbackCount, 6);
    assert.ok(adaptation.modelWeight('m', config) < 1, 'the old model lost weight');
    assert.notEqual(adaptation.calibrate('m', scores).confidence, 0.8, 'its calibration is in force');

    adaptation.startFresh(new Map([['m', t0 + 60_000]]), config);
    assert.equal(adaptation.feedbackStats('m').feedbackCount, 0);
    assert.equal(adaptation.modelWeight('m', config), 1, 'back to its prior');
    assert.equal(adaptation.calibrate('m', scores).confidence, 0.8, 'no calibration applied');
    assert.equal(adaptation.feedbackStats('o').feedbackCount, 6, 'the other model keeps its history');

    // Feedback on a decision made after the replacement counts for the new model.
    store.recordDecision(decision('new', t0 + 120_000, [vote('m', 'bug'), vote('o', 'bug')]), { source: 'live' });
    adaptation.feedback('new', { label: 'bug' }, config);
    assert.equal(adaptation.feedbackStats('m').feedbackCount, 1);

    // A fit made now sees only the new model's votes for "m" (it was right on its one item), all of "o"'s.
    const fit = adaptation.fitAggregation('default', resolveMembers(config.ensembles.default!, config.models), labels);
    const reliability = Object.fromEntries(fit.members.map((m) => [m.member, m.reliability]));
    assert.ok(reliability.m! > 0.5, `m's reliability ${reliability.m} counts only the new model's right answer`);
    assert.ok(reliability.o! > 0.5);
  });

  it("`ensemble calibrate` after a replacement fits the new model on its own votes only, never on its predecessor's", () => {
    const store = new MemoryStore();
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    // The old "m": 30 labelled votes, every one wrong at confidence 0.7 (a fit on them would shrink its confidence hard).
    for (let i = 0; i < 30; i++)
      store.recordDecision(decision(`old${i}`, t0 + i * 1000, [vote('m', 'feature'), vote('o', 'bug')]), {
        source: 'record',
        gold: 'bug',
      });
    const adaptation = new Adaptation(store, new Logger('error', () => {}));
    adaptation.startFresh(new Map([['m', t0 + 60_000]]), config);
    const before = adaptation.fitCalibration('temperature', 5);
    const fitOf = (fits: typeof before, model: string) => fits.find((f) => f.model === model);
    assert.equal(fitOf(before, 'm')?.n ?? 0, 0, "none of the old model's votes is the new model's");
    assert.equal(fitOf(before, 'm')?.applied ?? false, false);
    assert.equal(fitOf(before, 'o')?.n, 30, 'the other model keeps its votes');
    const scores = { label: 'bug', probabilities: { bug: 0.8, feature: 0.2 }, confidence: 0.8, confidenceSource: 'logprobs' as const };
    assert.equal(adaptation.calibrate('m', scores).confidence, 0.8, 'no calibration fitted on the predecessor is applied');

    // Votes of the new model, after the replacement, are its own: a fit uses exactly those.
    for (let i = 0; i < 6; i++)
      store.recordDecision(decision(`new${i}`, t0 + 120_000 + i * 1000, [vote('m', 'bug'), vote('o', 'bug')]), {
        source: 'record',
        gold: 'bug',
      });
    const after = adaptation.fitCalibration('temperature', 5);
    assert.equal(fitOf(after, 'm')?.n, 6);
    assert.equal(fitOf(after, 'm')?.applied, true);
    assert.equal(fitOf(after, 'o')?.n, 36);
  });
});

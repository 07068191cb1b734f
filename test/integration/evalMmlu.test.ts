/**
 * `ensemble eval` on real recorded answers: the MMLU-Pro recordings (predictions_uniform.csv and
 * gold_variants.csv) in the folder ENSEMBLE_MMLU_PRO names; skipped, with the reason, when it is unset. Checks per-model
 * accuracies against a direct recount of the CSV, majority against the data README (0.478 on all
 * 12,032 items for the trio, ties to the first listed), and that the learned strategies beat
 * majority on the held-out half.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runEval } from '../support/runEval';
import { evaluate, type EvalReport } from '../../daemon/learning/evaluate';
import { loadIdList, loadWideCsv, parseCsv } from '../../daemon/learning/recordings';

/** Question text by id (question and options), from questions/<category>.jsonl. */
function questionTexts(dir: string): Map<string, string> {
  const texts = new Map<string, string>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.jsonl'))) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const q = JSON.parse(line) as { question_id: number; question: string; options: string[] };
      texts.set(String(q.question_id), `${q.question}\n${q.options.map((o, i) => `${String.fromCharCode(65 + i)}. ${o}`).join('\n')}`);
    }
  }
  return texts;
}

const DATA = process.env.ENSEMBLE_MMLU_PRO?.trim() || undefined;
const CSV = path.join(DATA ?? '', 'predictions_uniform.csv');
const VARIANTS = path.join(DATA ?? '', 'gold_variants.csv');
const TRIO = ['Meta-Llama-3_1-8B-Instruct', 'mathstral-7B', 'Phi-3-mini-4k-instruct'];
const ABSENT = DATA
  ? `MMLU-Pro recordings not found at ${CSV} (ENSEMBLE_MMLU_PRO)`
  : 'set ENSEMBLE_MMLU_PRO to the folder holding the MMLU-Pro recordings (predictions_uniform.csv) to run these';
const FIVE = [...TRIO, 'Meta-Llama-3-8B', 'gemma-7b'];
const present = DATA !== undefined && fs.existsSync(CSV);

/** Accuracy of each model column counted straight from the CSV rows. */
function recount(exclude: ReadonlySet<string> = new Set()): Map<string, number> {
  const [header, ...rows] = parseCsv(fs.readFileSync(CSV, 'utf8'));
  const col = (name: string) => header!.cells.indexOf(name);
  const id = col('question_id');
  const gold = col('answer');
  return new Map(
    TRIO.map((m) => {
      const j = col(m);
      const kept = rows.filter((r) => !exclude.has(r.cells[id]!) && r.cells[j] !== 'NA');
      return [m, kept.filter((r) => r.cells[j] === r.cells[gold]).length / kept.length];
    }),
  );
}

async function cliJson(args: string[]): Promise<EvalReport> {
  return JSON.parse(await runEval(args)) as EvalReport;
}

test('all 12,032 items, nothing fitted: per-model accuracy = recount, majority 0.478, oracle 0.643', async (t) => {
  if (!present) return t.skip(ABSENT);
  const r = await cliJson([CSV, '--gold', 'answer', '--models', TRIO.join(','), '--train-fraction', '0', '--json']);
  assert.equal(r.items, 12032);
  assert.equal(r.split.evaluatedOn, 'all items');
  const direct = recount();
  for (const m of r.perModel) assert.equal(m.accuracy, direct.get(m.model), m.model);
  assert.ok(Math.abs(r.perModel[0]!.accuracy - 0.433) < 0.001);
  const majority = r.strategies.find((s) => s.name === 'majority')!;
  assert.ok(Math.abs(majority.accuracy - 0.478) <= 0.001, `majority ${majority.accuracy}`);
  assert.ok(Math.abs(r.oracle!.accuracy - 0.643) <= 0.001, `oracle ${r.oracle!.accuracy}`);
  assert.deepEqual(
    r.strategies.map((s) => s.name),
    ['majority', 'weighted', 'earlyExit', 'oracle'],
  );
});

test('held-out half (39 gold variants dropped, seed 42): learned strategies beat majority', async (t) => {
  if (!present) return t.skip(ABSENT);
  const exclude = loadIdList(VARIANTS);
  assert.equal(exclude.size, 39);
  const r = evaluate(loadWideCsv(fs.readFileSync(CSV, 'utf8'), CSV, { models: TRIO }), {
    models: TRIO,
    trainFraction: 0.5,
    seed: 42,
    excludeIds: exclude,
  });
  assert.equal(r.items, 12032 - 39);
  assert.equal(r.split.train + r.split.test, r.items);
  const acc = (n: string) => r.strategies.find((s) => s.name === n)!;
  const majority = acc('majority').accuracy;
  for (const name of ['learned', 'stacking', 'dawidSkene']) {
    assert.ok(acc(name).accuracy > majority, `${name} ${acc(name).accuracy} vs majority ${majority}`);
  }
  // Stacking and per-category weighting gain more than half a point.
  assert.ok(acc('stacking').accuracy > majority + 0.005);
  assert.ok(acc('learned').accuracy > majority + 0.005);
  // Early exit keeps majority's answers for fewer calls; the router (here from the category alone:
  // the CSV holds no question text) trades accuracy for cost.
  assert.equal(acc('earlyExit').accuracy, majority);
  assert.ok(acc('earlyExit').callsPerItem < 3);
  assert.ok(acc('routed').callsPerItem < 1.5 && acc('routed').accuracy > Math.max(...r.perModel.map((m) => m.accuracy)));
  assert.equal(r.recommendation.kind, 'ensemble');
});

test('the CLI reproduces per-model accuracies on the held-out half too', async (t) => {
  if (!present) return t.skip(ABSENT);
  const r = await cliJson([CSV, '--models', TRIO.join(','), '--exclude-ids', VARIANTS, '--json']);
  const exclude = loadIdList(VARIANTS);
  const direct = evaluate(loadWideCsv(fs.readFileSync(CSV, 'utf8'), CSV, { models: TRIO }), { models: TRIO, excludeIds: exclude });
  assert.deepEqual(r.perModel, direct.perModel);
  assert.equal(r.trainFraction, 0.5);
  assert.equal(r.seed, 42);
  const all = recount(exclude);
  for (const m of TRIO) assert.ok(Math.abs(r.perModel.find((x) => x.model === m)!.accuracy - all.get(m)!) < 0.01);
});

test('held-out half, five-pool with question texts: the router beats the best single member at under 1.5 calls per item', async (t) => {
  if (!present) return t.skip(ABSENT);
  const questions = path.join(DATA!, 'questions');
  if (!fs.existsSync(questions)) return t.skip(`no question texts at ${questions}: the router reads the input`);
  const texts = questionTexts(questions);
  const recs = loadWideCsv(fs.readFileSync(CSV, 'utf8'), CSV, { models: FIVE });
  for (const r of recs) r.text = texts.get(r.item);
  const r = evaluate(recs, {
    models: FIVE,
    trainFraction: 0.5,
    seed: 42,
    excludeIds: loadIdList(VARIANTS),
    strategies: ['majority', 'routed'],
  });
  const routed = r.strategies.find((s) => s.name === 'routed')!;
  const best = Math.max(...r.perModel.map((m) => m.accuracy));
  assert.ok(routed.callsPerItem < 1.5, `routed asks ${routed.callsPerItem} members per item`);
  assert.ok(routed.accuracy > best, `routed ${routed.accuracy} vs best single ${best}`);
});

/**
 * `npm run bench:eval`: learned aggregation on real recorded answers (MMLU-Pro, 29 models,
 * ../shared/data/mmlu-pro relative to the repository root). Pool: Llama-3.1-8B-Instruct +
 * mathstral-7B + Phi-3-mini; the 39 questions whose gold differs between runs are dropped; seeded,
 * category-stratified 50/50 split. Prints every member, every strategy and two large reference
 * models on the held-out half; the runtime of `evaluate` (median of 5) against a majority-only
 * baseline; and mean ± sd over 5 seeds. Exits 0 with a message when the data is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alignedTable } from '../cli/commands/eval';
import { buildTable } from '../daemon/learning/aggregators/types';
import { evaluate, type EvalReport } from '../daemon/learning/evaluate';
import { loadIdList, loadWideCsv } from '../daemon/learning/recordings';
import { trainTestSplit } from '../daemon/learning/split';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.join(ROOT, '..', 'shared', 'data', 'mmlu-pro');
const CSV = path.join(DATA, 'predictions_uniform.csv');
const VARIANTS = path.join(DATA, 'gold_variants.csv');

const POOL = ['Meta-Llama-3_1-8B-Instruct', 'mathstral-7B', 'Phi-3-mini-4k-instruct'];
const REFERENCES = ['Qwen1.5-72B-Chat', 'Meta-Llama-3-70B'];
const SEED = 42;
const SEEDS = [42, 43, 44, 45, 46];
const TRAIN_FRACTION = 0.5;
const RUNS = 5;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pt = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} pt`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const meanSd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  return { m, sd };
};

function time<T>(f: () => T): { ms: number; value: T } {
  const t0 = process.hrtime.bigint();
  const value = f();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

if (!fs.existsSync(CSV)) {
  console.log(`bench:eval: ${CSV} is absent (the MMLU-Pro recordings live only in this project's environment, under ../shared/data/mmlu-pro); nothing to benchmark.`);
  process.exit(0);
}

const text = fs.readFileSync(CSV, 'utf8');
const loaded = time(() => loadWideCsv(text, CSV, { gold: 'answer', models: [...POOL, ...REFERENCES] }));
const exclude = fs.existsSync(VARIANTS) ? loadIdList(VARIANTS) : new Set<string>();
const recordings = loaded.value.filter((r) => POOL.includes(r.model));
const opts = { models: POOL, trainFraction: TRAIN_FRACTION, seed: SEED, excludeIds: exclude };

// Reference models on exactly the held-out items evaluate() uses (same split function and inputs).
function referenceAccuracy(seed: number): Map<string, number> {
  const pool = buildTable(recordings, POOL).items.filter((it) => !exclude.has(it.id));
  const { test } = trainTestSplit(pool, { trainFraction: TRAIN_FRACTION, seed, id: (x) => x.id, stratum: (x) => x.category ?? '' });
  const ids = new Set(test.map((it) => it.id));
  const refs = buildTable(loaded.value.filter((r) => REFERENCES.includes(r.model)), REFERENCES).items.filter((it) => ids.has(it.id));
  return new Map(REFERENCES.map((m, j) => [m, refs.filter((it) => it.votes[j] === it.gold).length / refs.length]));
}

const full: Array<{ ms: number; value: EvalReport }> = [];
const base: Array<{ ms: number; value: EvalReport }> = [];
for (let i = 0; i < RUNS; i++) {
  full.push(time(() => evaluate(recordings, opts)));
  base.push(time(() => evaluate(recordings, { ...opts, strategies: ['majority'] })));
}
const report = full[0]!.value;
const refs = referenceAccuracy(SEED);

console.log(`MMLU-Pro recorded answers: ${report.items} items (${report.excluded} gold-variant ids dropped), pool ${POOL.join(' + ')}`);
console.log(`seeded split: train fraction ${TRAIN_FRACTION}, seed ${SEED}, stratified by category: ${report.split.train} train / ${report.split.test} held-out\n`);
const maj = report.strategies.find((s) => s.name === 'majority')!.accuracy;
const rows = [['', 'held-out accuracy', 'calls/item', 'vs majority']];
for (const m of report.perModel) rows.push([`member   ${m.model}`, pct(m.accuracy), '1.00', pt(m.accuracy - maj)]);
for (const s of report.strategies) rows.push([`strategy ${s.name}${s.learned ? ' (learned)' : ''}`, pct(s.accuracy), s.callsPerItem.toFixed(2), pt(s.vsMajority!)]);
for (const [m, a] of refs) rows.push([`large    ${m}`, pct(a), '1.00', pt(a - maj)]);
console.log(alignedTable(rows, [1, 2, 3]));
console.log(`\nrecommendation: ${report.recommendation.text}\n`);

const ms = (xs: Array<{ ms: number }>) => median(xs.map((x) => x.ms));
console.log(`runtime of evaluate() over ${recordings.length} recordings, median of ${RUNS} runs (CSV parse once: ${loaded.ms.toFixed(0)} ms for ${loaded.value.length} recordings):`);
console.log(
  alignedTable(
    [
      ['', 'median ms', 'runs (ms)'],
      ['all strategies', ms(full).toFixed(0), full.map((x) => x.ms.toFixed(0)).join(' ')],
      ['baseline: majority only', ms(base).toFixed(0), base.map((x) => x.ms.toFixed(0)).join(' ')],
    ],
    [1],
  ),
);

// Over 5 seeds: mean ± sd of held-out accuracy, and how often each strategy beats majority.
const bySeed = SEEDS.map((seed) => ({ seed, r: seed === SEED ? report : evaluate(recordings, { ...opts, seed }), refs: referenceAccuracy(seed) }));
console.log(`\nover ${SEEDS.length} seeds (${SEEDS.join(', ')}), held-out half each time: mean ± sd`);
const seedRows = [['', 'accuracy', 'gain vs majority', 'beats majority', 'calls/item']];
const majBy = bySeed.map((x) => x.r.strategies.find((s) => s.name === 'majority')!.accuracy);
const line = (name: string, accs: number[], calls: number[]) => {
  const a = meanSd(accs);
  const g = meanSd(accs.map((v, i) => v - majBy[i]!));
  const wins = accs.filter((v, i) => v > majBy[i]! + 1e-12).length;
  seedRows.push([name, `${pct(a.m)} ± ${(100 * a.sd).toFixed(1)}`, `${g.m >= 0 ? '+' : ''}${(100 * g.m).toFixed(2)} ± ${(100 * g.sd).toFixed(2)} pt`, `${wins}/${accs.length}`, meanSd(calls).m.toFixed(2)]);
};
POOL.forEach((m, j) => line(`member   ${m}`, bySeed.map((x) => x.r.perModel[j]!.accuracy), bySeed.map(() => 1)));
for (const s of report.strategies) {
  const got = bySeed.map((x) => x.r.strategies.find((t) => t.name === s.name)!);
  line(`strategy ${s.name}`, got.map((t) => t.accuracy), got.map((t) => t.callsPerItem));
}
for (const m of REFERENCES) line(`large    ${m}`, bySeed.map((x) => x.refs.get(m)!), bySeed.map(() => 1));
console.log(alignedTable(seedRows, [1, 2, 3, 4]));

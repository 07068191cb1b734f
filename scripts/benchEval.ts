/**
 * `npm run bench:eval`: the aggregation engine on real recorded answers (MMLU-Pro, 12,032 questions
 * answered by 29 models), held-out half. For two pools, the five-pool (Llama-3.1-8B-Instruct,
 * mathstral-7B, Phi-3-mini, Llama-3-8B, gemma-7b) and every open model of 8B or fewer, it prints
 * each member, every strategy the daemon runs (replayed with the daemon's own asking rule: calls
 * and rounds per item) and the research-only estimators, with Qwen1.5-72B-Chat and Llama-3-70B on
 * the same held-out questions beside them. Everything learned (reliabilities, the router over the
 * question text, stacking) is fitted on the train half only; the recommended strategy is chosen on
 * a validation split inside it.
 *
 * Data: `--data DIR` or ENSEMBLE_MMLU_PRO, a directory holding predictions_uniform.csv (one row per
 * question, one column per model), questions/<category>.jsonl (the question texts) and optionally
 * gold_variants.csv and models.csv. Exits 0 with a message when absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { alignedTable } from '../cli/commands/eval';
import { buildTable } from '../daemon/learning/aggregators/types';
import { evaluate, type EvalReport } from '../daemon/learning/evaluate';
import { loadIdList, loadWideCsv, parseCsv, type Recording } from '../daemon/learning/recordings';
import { trainTestSplit } from '../daemon/learning/split';

const flag = process.argv.indexOf('--data');
const fromFlag = flag >= 0 ? process.argv[flag + 1] : undefined;
const given = fromFlag ?? process.env.ENSEMBLE_MMLU_PRO;
const DATA = path.resolve(given ?? '.');
const CSV = path.join(DATA, 'predictions_uniform.csv');

if (!given || !fs.existsSync(CSV)) {
  console.log(
    `bench:eval: ${given ? `no MMLU-Pro recordings at ${CSV}` : 'no MMLU-Pro recordings named'}; nothing to benchmark.\n` +
      'Pass --data DIR or set ENSEMBLE_MMLU_PRO to a directory with predictions_uniform.csv (one row per question: question_id, category, answer,\n' +
      'one column per model holding its answer letter) and questions/<category>.jsonl (question_id, question, options). Both are derived from the\n' +
      'per-model outputs published in github.com/TIGER-AI-Lab/MMLU-Pro (eval_results/model_outputs_*.zip) and the MMLU-Pro test set.',
  );
  process.exit(2);
}

const FIVE = ['Meta-Llama-3_1-8B-Instruct', 'mathstral-7B', 'Phi-3-mini-4k-instruct', 'Meta-Llama-3-8B', 'gemma-7b'];
const REFERENCES = ['Qwen1.5-72B-Chat', 'Meta-Llama-3-70B'];
const SEED = 42;
const TRAIN_FRACTION = 0.5;

/** Open models of nominally 8B or fewer (gemma-7b counts its 8.5B with embeddings), from models.csv. */
function smallOpenModels(): string[] {
  const file = path.join(DATA, 'models.csv');
  if (!fs.existsSync(file)) return [];
  const [header, ...rows] = parseCsv(fs.readFileSync(file, 'utf8'), file);
  const col = (n: string) => header!.cells.indexOf(n);
  return rows
    .filter((r) => r.cells[col('access')] === 'open' && Number(r.cells[col('params_billion')]) <= 8.5)
    .map((r) => r.cells[col('model')]!);
}

function questionTexts(): Map<string, string> {
  const dir = path.join(DATA, 'questions');
  const texts = new Map<string, string>();
  if (!fs.existsSync(dir)) return texts;
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.jsonl'))) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const q = JSON.parse(line) as { question_id: number | string; question: string; options: string[] };
      texts.set(String(q.question_id), `${q.question}\n${q.options.map((o, i) => `${String.fromCharCode(65 + i)}. ${o}`).join('\n')}`);
    }
  }
  return texts;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pt = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} pt`;

const small = smallOpenModels();
const text = fs.readFileSync(CSV, 'utf8');
const all = loadWideCsv(text, CSV, { gold: 'answer', models: [...new Set([...FIVE, ...small, ...REFERENCES])] });
const texts = questionTexts();
for (const r of all) {
  const t = texts.get(r.item);
  if (t !== undefined) r.text = t;
}
const variants = path.join(DATA, 'gold_variants.csv');
const exclude = fs.existsSync(variants) ? loadIdList(variants) : new Set<string>();
console.log(
  `MMLU-Pro recorded answers: ${new Set(all.map((r) => r.item)).size} questions (${exclude.size} gold-variant ids dropped), question texts for ${texts.size}`,
);
console.log(
  `seeded split: train fraction ${TRAIN_FRACTION}, seed ${SEED}, stratified by category; the validation split (30% of train) chooses the strategy\n`,
);

/** Reference models on exactly the held-out questions evaluate() used. */
function referenceAccuracy(recordings: readonly Recording[], pool: readonly string[]): Map<string, number> {
  const items = buildTable(recordings, pool).items.filter((it) => !exclude.has(it.id));
  const { test } = trainTestSplit(items, { trainFraction: TRAIN_FRACTION, seed: SEED, id: (x) => x.id, stratum: (x) => x.category ?? '' });
  const ids = new Set(test.map((it) => it.id));
  const refs = buildTable(
    all.filter((r) => REFERENCES.includes(r.model)),
    REFERENCES,
  ).items.filter((it) => ids.has(it.id));
  return new Map(REFERENCES.map((m, j) => [m, refs.filter((it) => it.votes[j] === it.gold).length / refs.length]));
}

function table(title: string, pool: readonly string[]): EvalReport {
  const recordings = all.filter((r) => pool.includes(r.model));
  const t0 = performance.now();
  const report = evaluate(recordings, { models: [...pool], trainFraction: TRAIN_FRACTION, seed: SEED, excludeIds: exclude });
  const seconds = (performance.now() - t0) / 1000;
  const refs = referenceAccuracy(recordings, pool);
  const maj = report.strategies.find((s) => s.name === 'majority')!.accuracy;
  const best = Math.max(...report.perModel.map((m) => m.accuracy));
  console.log(
    `${title}: ${pool.length} members, ${report.split.train} train / ${report.split.test} held-out questions (evaluate: ${seconds.toFixed(0)} s)`,
  );
  const rows = [['', 'held-out accuracy', 'calls/item', 'rounds/item', 'validation', 'vs majority', 'vs best single']];
  for (const m of report.perModel)
    rows.push([`member   ${m.model}`, pct(m.accuracy), '1.00', '1.00', '', pt(m.accuracy - maj), pt(m.accuracy - best)]);
  for (const s of report.strategies) {
    const name = `${s.researchOnly ? 'research' : 'strategy'} ${s.name}`;
    rows.push([
      name,
      pct(s.accuracy),
      s.callsPerItem.toFixed(2),
      s.roundsPerItem.toFixed(2),
      s.validation ? pct(s.validation.accuracy) : '',
      pt(s.vsMajority ?? 0),
      pt(s.accuracy - best),
    ]);
  }
  for (const [m, a] of refs) rows.push([`large    ${m}`, pct(a), '1.00', '1.00', '', pt(a - maj), pt(a - best)]);
  console.log(alignedTable(rows, [1, 2, 3, 4, 5, 6]));
  console.log(`recommendation: ${report.recommendation.text}\n`);
  return report;
}

table('five-pool', FIVE);
if (small.length > 0) table('every open model of 8B or fewer', small);
else console.log('models.csv is absent: the table of every open model of 8B or fewer is skipped');
console.log(
  "rounds/item: batches asked one after another. A decision asking every member at once takes about the slowest member's latency;\n" +
    "speculative early exit and the router take about rounds × one member's latency, at the calls per item shown.",
);

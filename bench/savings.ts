/**
 * Early exit and routing savings on recorded answers: how many member calls per item each strategy
 * makes against the accuracy it reaches, held out, on MMLU-Pro answers of three small models (the
 * pool `npm run bench:eval` uses). Reuses `ensemble eval`'s evaluator; nothing here is simulated
 * beyond replaying the recorded answers in each strategy's order.
 */
import fs from 'node:fs';
import path from 'node:path';
import { evaluate } from '../daemon/learning/evaluate';
import { loadIdList, loadWideCsv } from '../daemon/learning/recordings';
import { round } from './stats';

const POOL = ['Meta-Llama-3_1-8B-Instruct', 'mathstral-7B', 'Phi-3-mini-4k-instruct'];

export interface Savings {
  skipped?: string;
  data?: string;
  pool?: string[];
  items?: number;
  strategies: Array<{ name: string; accuracy: number | null; calls_per_item: number | null; calls_saved_vs_all: number | null }>;
}

export function earlyExitSavings(dir: string): Savings {
  const csv = path.join(dir, 'predictions_uniform.csv');
  // Results are committed: they name the data folder, never where it sits on the machine that ran them.
  const named = path.basename(path.resolve(dir));
  if (!fs.existsSync(csv)) {
    return { skipped: `no predictions_uniform.csv in ${named}/: pass --data DIR or set ENSEMBLE_MMLU_PRO`, strategies: [] };
  }
  const variants = path.join(dir, 'gold_variants.csv');
  const recordings = loadWideCsv(fs.readFileSync(csv, 'utf8'), csv, { gold: 'answer', models: POOL });
  const report = evaluate(recordings, {
    models: POOL,
    trainFraction: 0.5,
    seed: 42,
    excludeIds: fs.existsSync(variants) ? loadIdList(variants) : new Set(),
  });
  return {
    data: named,
    pool: POOL,
    items: report.split.test,
    strategies: report.strategies.map((s) => ({
      name: s.name,
      accuracy: round(s.accuracy),
      calls_per_item: round(s.callsPerItem, 2),
      calls_saved_vs_all: round(1 - s.callsPerItem / POOL.length),
    })),
  };
}

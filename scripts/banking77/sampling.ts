/**
 * BANKING77 (PolyAI, CC BY 4.0, Casanueva et al. 2020) as `ensemble record` items: reading the
 * full CSV release or the sample this repository ships, and seeded per-intent sampling, shared by
 * `npm run dataset:banking77` and the script that rebuilds the shipped sample.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseCsv } from '../../daemon/learning/recordings';
import { mulberry32, shuffle } from '../../daemon/learning/split';

const Banking77ItemSchema = z.object({
  id: z.string(),
  text: z.string().min(1),
  label: z.string().min(1),
  /** The intent's first word (card, transfer, top...): an input type the learned strategies and the router key on. */
  category: z.string(),
});
export type Banking77Item = z.infer<typeof Banking77ItemSchema>;

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const SAMPLE_FILE = path.join(REPO_ROOT, 'data', 'banking77', 'sample.jsonl');
export const FULL_SET_HINT =
  'the full set is at https://github.com/PolyAI-LDN/task-specific-datasets (folder banking_data: train.csv, test.csv); ' +
  'point --source or ENSEMBLE_BANKING77 at that folder';

/** What the shipped sample holds: 12 intents in 6 categories, 25 test-split messages each, seed 42. */
export const SAMPLE_SPEC = {
  split: 'test',
  perIntent: 25,
  seed: 42,
  intents: [
    'card_arrival',
    'card_not_working',
    'card_payment_fee_charged',
    'cash_withdrawal_charge',
    'exchange_rate',
    'lost_or_stolen_card',
    'pin_blocked',
    'top_up_failed',
    'top_up_limits',
    'transfer_fee_charged',
    'transfer_not_received_by_recipient',
    'transfer_timing',
  ],
} as const;

/** A data problem the scripts report as one line and a non-zero exit. */
export class Banking77Error extends Error {}

export const categoryOf = (intent: string): string => intent.split('_')[0]!.toLowerCase();

/** Messages per intent, from `<dir>/<split>.csv` of the BANKING77 release (columns text, category). */
export function readFullSet(dir: string, split: string): Map<string, string[]> {
  const file = path.join(dir, `${split}.csv`);
  if (!fs.existsSync(file)) throw new Banking77Error(`BANKING77: ${file} not found; ${FULL_SET_HINT}`);
  const [header, ...rows] = parseCsv(fs.readFileSync(file, 'utf8'), file);
  const textCol = header?.cells.indexOf('text') ?? -1;
  const labelCol = header?.cells.indexOf('category') ?? -1;
  if (textCol < 0 || labelCol < 0) throw new Banking77Error(`${file}: expected a header with the columns "text" and "category"`);
  const byIntent = new Map<string, string[]>();
  for (const r of rows) {
    const intent = r.cells[labelCol];
    const text = r.cells[textCol];
    if (!intent || !text) throw new Banking77Error(`${file}:${r.line}: empty "text" or "category"`);
    byIntent.set(intent, [...(byIntent.get(intent) ?? []), text]);
  }
  return byIntent;
}

/** Items per intent, from a JSONL file in the `ensemble record` format (the shipped sample). */
export function readSample(file: string): Map<string, Banking77Item[]> {
  if (!fs.existsSync(file)) {
    throw new Banking77Error(`BANKING77 sample ${file} not found (it ships in data/banking77/ of the repository); ${FULL_SET_HINT}`);
  }
  const byIntent = new Map<string, Banking77Item[]>();
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        json = undefined;
      }
      const parsed = Banking77ItemSchema.safeParse(json);
      if (!parsed.success) throw new Banking77Error(`${file}:${i + 1}: expected {"id", "text", "label", "category"} (strings)`);
      const item = parsed.data;
      byIntent.set(item.label, [...(byIntent.get(item.label) ?? []), item]);
    });
  return byIntent;
}

/**
 * `perIntent` items of each intent, shuffled with `seed`, in the order the intents are given.
 * Asking for an intent the source lacks, or more messages than it has, is an error, never a
 * silently smaller dataset.
 */
export interface SampleOptions {
  intents: readonly string[];
  perIntent: number;
  seed: number;
  /** The file sampled from, for messages. */
  source: string;
}

export function sampleIntents<T>(byIntent: ReadonlyMap<string, readonly T[]>, { intents, perIntent, seed, source }: SampleOptions): T[] {
  const fromSample = source.endsWith('.jsonl');
  const known = [...byIntent.keys()].sort();
  const unknown = intents.filter((i) => !byIntent.has(i));
  if (unknown.length) {
    const hint = fromSample ? `; ${FULL_SET_HINT}` : '';
    throw new Banking77Error(`--intents: ${unknown.join(', ')} not in ${source}; it has ${known.join(', ')}${hint}`);
  }
  const short = intents.filter((i) => byIntent.get(i)!.length < perIntent);
  if (short.length) {
    const fewest = Math.min(...short.map((i) => byIntent.get(i)!.length));
    const hint = fromSample ? `, or ${FULL_SET_HINT}` : '';
    const which = `${source} has only ${fewest} messages for ${short.join(', ')}`;
    throw new Banking77Error(`--per-intent ${perIntent}: ${which}; ask for at most ${fewest}${hint}`);
  }
  const rand = mulberry32(seed);
  return intents.flatMap((intent) => shuffle([...byIntent.get(intent)!], rand).slice(0, perIntent));
}

/** Items from the full release, numbered `<split>-1...` in output order. */
export function itemsFromFullSet(byIntent: ReadonlyMap<string, readonly string[]>, split: string, opts: SampleOptions): Banking77Item[] {
  const texts = new Map([...byIntent].map(([intent, ts]) => [intent, ts.map((text) => ({ text, label: intent }))]));
  return sampleIntents(texts, opts).map((t, i) => ({
    id: `${split}-${i + 1}`,
    text: t.text,
    label: t.label,
    category: categoryOf(t.label),
  }));
}

export const toJsonl = (items: readonly Banking77Item[]): string => items.map((i) => `${JSON.stringify(i)}\n`).join('');

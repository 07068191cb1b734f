/**
 * Turns BANKING77 customer-support messages (../shared/data/banking77, CC BY 4.0, Casanueva et al.
 * 2020) into an `ensemble record` dataset: `{"id", "text", "label", "category"}` per line, where
 * the label is the intent and the category the intent's first word (card, transfer, top...), an
 * "input type" the learned strategies and the router can key on.
 *
 *   npm run -s dataset:banking77 -- --intents card_arrival,lost_or_stolen_card,exchange_rate --per-intent 20 > tickets.jsonl
 *   ensemble record tickets.jsonl --ensemble default
 *
 * Seeded sampling (--seed, default 42) so a dataset can be recreated. Reads ../shared when present
 * and says so when it is not; nothing of the data is kept in this repository.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseCsv } from '../daemon/learning/recordings';
import { mulberry32, shuffle } from '../daemon/learning/split';

const dir = path.resolve(import.meta.dirname, '..', '..', 'shared', 'data', 'banking77');
const { values } = parseArgs({
  options: {
    split: { type: 'string', default: 'test' },
    intents: { type: 'string' },
    top: { type: 'string', default: '5' },
    'per-intent': { type: 'string', default: '20' },
    seed: { type: 'string', default: '42' },
  },
});

const file = path.join(dir, `${values.split}.csv`);
if (!fs.existsSync(file)) {
  process.stderr.write(`BANKING77 not found at ${file} (it is provided in this project's environment as ../shared/data/banking77)\n`);
  process.exit(0);
}
const perIntent = Number(values['per-intent']);
const seed = Number(values.seed);
if (!(perIntent > 0) || !Number.isInteger(seed)) {
  process.stderr.write('--per-intent: a positive number; --seed: a whole number\n');
  process.exit(2);
}

const [header, ...rows] = parseCsv(fs.readFileSync(file, 'utf8'), file);
const textCol = header!.cells.indexOf('text');
const labelCol = header!.cells.indexOf('category');
const byIntent = new Map<string, string[]>();
for (const r of rows) {
  const intent = r.cells[labelCol]!;
  byIntent.set(intent, [...(byIntent.get(intent) ?? []), r.cells[textCol]!]);
}
const known = [...byIntent.keys()].sort();
const intents = values.intents ? values.intents.split(',').map((s) => s.trim()) : known.slice(0, Number(values.top));
const unknown = intents.filter((i) => !byIntent.has(i));
if (unknown.length) {
  process.stderr.write(`--intents: unknown intent(s) ${unknown.join(', ')}; known: ${known.join(', ')}\n`);
  process.exit(2);
}
const rand = mulberry32(seed);
let n = 0;
for (const intent of intents) {
  for (const text of shuffle([...byIntent.get(intent)!], rand).slice(0, perIntent)) {
    process.stdout.write(`${JSON.stringify({ id: `${values.split}-${++n}`, text, label: intent, category: intent.split('_')[0]!.toLowerCase() })}\n`);
  }
}
process.stderr.write(`${n} messages, ${intents.length} intents, seed ${seed} (BANKING77, CC BY 4.0, Casanueva et al. 2020)\n`);

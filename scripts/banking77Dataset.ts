/**
 * BANKING77 customer-support messages (PolyAI, CC BY 4.0, Casanueva et al. 2020) as an
 * `ensemble record` dataset: `{"id", "text", "label", "category"}` per line, where the label is the
 * intent and the category the intent's first word (card, transfer, top...).
 *
 *   npm run -s dataset:banking77 -- --intents card_arrival,lost_or_stolen_card,exchange_rate --per-intent 20 > tickets.jsonl
 *   ensemble record tickets.jsonl --ensemble default
 *
 * By default it reads the sample that ships in data/banking77/ (12 intents, 25 messages each);
 * `--source DIR` or ENSEMBLE_BANKING77=DIR reads the full release (train.csv, test.csv) instead.
 * Seeded sampling (--seed, default 42) so a dataset can be recreated. Asking for intents or more
 * messages than the source has fails with the reason and exit code 2.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  Banking77Error,
  itemsFromFullSet,
  readFullSet,
  readSample,
  SAMPLE_FILE,
  sampleIntents,
  toJsonl,
  type Banking77Item,
} from './banking77/sampling';

function main(): void {
  const { values } = parseArgs({
    options: {
      source: { type: 'string' },
      split: { type: 'string', default: 'test' },
      intents: { type: 'string' },
      top: { type: 'string' },
      'per-intent': { type: 'string', default: '20' },
      seed: { type: 'string', default: '42' },
    },
  });
  const perIntent = Number(values['per-intent']);
  const seed = Number(values.seed);
  const top = values.top === undefined ? Infinity : Number(values.top);
  if (!Number.isInteger(perIntent) || perIntent < 1) {
    throw new Banking77Error(`--per-intent: expected a positive whole number, got "${values['per-intent']}"`);
  }
  if (!Number.isInteger(seed)) throw new Banking77Error(`--seed: expected a whole number, got "${values.seed}"`);
  if (!(top >= 1)) throw new Banking77Error(`--top: expected a positive number, got "${values.top}"`);
  const sourceDir = values.source ?? process.env.ENSEMBLE_BANKING77?.trim();
  const chosen = (known: Iterable<string>) =>
    values.intents
      ? values.intents
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [...known].sort().slice(0, top);

  let items: Banking77Item[];
  let from: string;
  if (sourceDir) {
    const byIntent = readFullSet(path.resolve(sourceDir), values.split);
    from = path.join(path.resolve(sourceDir), `${values.split}.csv`);
    items = itemsFromFullSet(byIntent, values.split, { intents: chosen(byIntent.keys()), perIntent, seed, source: from });
  } else {
    if (values.split !== 'test') {
      throw new Banking77Error(`--split ${values.split}: the shipped sample comes from the test split; use --source for the full set`);
    }
    const byIntent = readSample(SAMPLE_FILE);
    from = SAMPLE_FILE;
    items = sampleIntents(byIntent, { intents: chosen(byIntent.keys()), perIntent, seed, source: SAMPLE_FILE });
  }
  process.stdout.write(toJsonl(items));
  const intents = new Set(items.map((i) => i.label)).size;
  const shownFrom = path.relative(process.cwd(), from) || from;
  const credit = 'BANKING77, CC BY 4.0, Casanueva et al. 2020';
  process.stderr.write(`${items.length} messages, ${intents} intents, seed ${seed}, from ${shownFrom} (${credit})\n`);
}

try {
  main();
} catch (e) {
  if (!(e instanceof Banking77Error)) throw e;
  process.stderr.write(`dataset:banking77: ${e.message}\n`);
  process.exitCode = 2;
}

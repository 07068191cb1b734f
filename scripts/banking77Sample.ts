/**
 * Rebuilds the BANKING77 sample that ships in data/banking77/ (`npm run data:banking77-sample --
 * --source DIR`, DIR being the release's banking_data folder, or ENSEMBLE_BANKING77=DIR): the
 * intents, split, size and seed of SAMPLE_SPEC, and the release's LICENSE copied beside it.
 * Running it again on the same release gives the same file byte for byte.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Banking77Error, FULL_SET_HINT, itemsFromFullSet, readFullSet, SAMPLE_FILE, SAMPLE_SPEC, toJsonl } from './banking77/sampling';

try {
  const { values } = parseArgs({ options: { source: { type: 'string' } } });
  const source = values.source ?? process.env.ENSEMBLE_BANKING77?.trim();
  if (!source) throw new Banking77Error(`--source: which BANKING77 folder to sample from? ${FULL_SET_HINT}`);
  const dir = path.resolve(source);
  const { split, intents, perIntent, seed } = SAMPLE_SPEC;
  const items = itemsFromFullSet(readFullSet(dir, split), split, { intents, perIntent, seed, source: path.join(dir, `${split}.csv`) });
  const licence = path.join(dir, 'LICENSE');
  if (!fs.existsSync(licence)) throw new Banking77Error(`${licence} not found: the sample ships only with the licence text beside it`);
  fs.writeFileSync(SAMPLE_FILE, toJsonl(items));
  const copied = path.join(path.dirname(SAMPLE_FILE), 'LICENSE');
  fs.copyFileSync(licence, copied);
  fs.chmodSync(copied, 0o644);
  process.stderr.write(`${SAMPLE_FILE}: ${items.length} messages, ${intents.length} intents, ${split} split, seed ${seed}\n`);
} catch (e) {
  if (!(e instanceof Banking77Error)) throw e;
  process.stderr.write(`data:banking77-sample: ${e.message}\n`);
  process.exitCode = 2;
}

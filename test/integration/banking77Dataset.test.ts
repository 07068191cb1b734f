/**
 * The BANKING77 demo dataset script: seeded, reproducible, in the `ensemble record` format, and
 * accepted by the record command's own reader. Skipped, with the reason, where ../shared is absent.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { readDataset } from '../../cli/commands/record';
import { repoRoot } from './harness';

const data = path.join(repoRoot, '..', 'shared', 'data', 'banking77', 'test.csv');
const absent = fs.existsSync(data) ? false : `${data} not found (provided only in this project's environment)`;
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'banking77Dataset.ts'), ...args], { cwd: repoRoot });

test('banking77 dataset: seeded sample of the chosen intents, readable by ensemble record', { skip: absent }, async () => {
  const args = ['--intents', 'card_arrival,lost_or_stolen_card,exchange_rate', '--per-intent', '4', '--seed', '7'];
  const a = await run(args);
  const b = await run(args);
  assert.equal(a.stdout, b.stdout, 'the same seed gives the same dataset');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'b77-')), 'd.jsonl');
  fs.writeFileSync(file, a.stdout);
  const items = readDataset(file);
  assert.equal(items.length, 12);
  assert.deepEqual([...new Set(items.map((i) => i.label))], ['card_arrival', 'lost_or_stolen_card', 'exchange_rate']);
  assert.deepEqual([...new Set(items.map((i) => i.category))], ['card', 'lost', 'exchange']);
  const other = await run(['--intents', 'card_arrival', '--per-intent', '4', '--seed', '8']);
  assert.notEqual(other.stdout, a.stdout.split('\n').slice(0, 4).join('\n') + '\n', 'another seed, another sample');
  await assert.rejects(run(['--intents', 'no_such_intent']), /unknown intent/);
});

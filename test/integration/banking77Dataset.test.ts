/**
 * The BANKING77 dataset script: seeded, reproducible, in the `ensemble record` format, and
 * accepted by the record command's own reader. By default it reads the sample shipped in
 * data/banking77/ (always tested); the full release is tested where ENSEMBLE_BANKING77 names it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { readDataset } from '../../cli/commands/record';
import { SAMPLE_SPEC } from '../../scripts/banking77/sampling';
import { repoRoot } from './harness';

const fullSet = process.env.ENSEMBLE_BANKING77?.trim();
const hasFullSet = fullSet !== undefined && fs.existsSync(path.join(fullSet, 'test.csv'));
const noFullSet = hasFullSet ? false : 'set ENSEMBLE_BANKING77 to the BANKING77 banking_data folder';
const script = (name: string, args: string[], env: NodeJS.ProcessEnv) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', name), ...args], { cwd: repoRoot, env });
const withoutFullSet = { ...process.env, ENSEMBLE_BANKING77: '' };
const run = (args: string[], env: NodeJS.ProcessEnv = withoutFullSet) => script('banking77Dataset.ts', args, env);
type Failed = { code: number; stderr: string };
const readItems = (jsonl: string) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'b77-')), 'd.jsonl');
  fs.writeFileSync(file, jsonl);
  return readDataset(file);
};

test('the shipped sample: every intent of SAMPLE_SPEC, 25 messages each, with its licence and attribution', () => {
  const dir = path.join(repoRoot, 'data', 'banking77');
  const items = readDataset(path.join(dir, 'sample.jsonl'));
  assert.equal(items.length, SAMPLE_SPEC.intents.length * SAMPLE_SPEC.perIntent);
  for (const intent of SAMPLE_SPEC.intents) assert.equal(items.filter((i) => i.label === intent).length, SAMPLE_SPEC.perIntent, intent);
  assert.match(fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8'), /Attribution 4\.0 International/);
  assert.match(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'), /Casanueva/);
});

test('banking77 dataset from the shipped sample: seeded sample of the chosen intents, readable by ensemble record', async () => {
  const args = ['--intents', 'card_arrival,lost_or_stolen_card,exchange_rate', '--per-intent', '4', '--seed', '7'];
  const a = await run(args);
  const b = await run(args);
  assert.equal(a.stdout, b.stdout, 'the same seed gives the same dataset');
  const items = readItems(a.stdout);
  assert.equal(items.length, 12);
  assert.deepEqual([...new Set(items.map((i) => i.label))], ['card_arrival', 'lost_or_stolen_card', 'exchange_rate']);
  assert.deepEqual([...new Set(items.map((i) => i.category))], ['card', 'lost', 'exchange']);
  const other = await run(['--intents', 'card_arrival,lost_or_stolen_card,exchange_rate', '--per-intent', '4', '--seed', '8']);
  assert.notEqual(other.stdout, a.stdout, 'another seed, another sample');
  assert.equal(readItems((await run([])).stdout).length, SAMPLE_SPEC.intents.length * 20, 'default: every intent of the sample, 20 each');
});

test('banking77 dataset: data the sample does not have is an error with the reason and exit code 2, never a smaller file', async () => {
  await assert.rejects(run(['--intents', 'age_limit']), (e: Failed) => {
    assert.equal(e.code, 2);
    assert.match(e.stderr, /age_limit not in .*sample\.jsonl.*ENSEMBLE_BANKING77/);
    return true;
  });
  await assert.rejects(run(['--per-intent', '40']), (e: Failed) => e.code === 2 && /only 25 messages/.test(e.stderr));
  await assert.rejects(run([], { ...process.env, ENSEMBLE_BANKING77: path.join(os.tmpdir(), 'no-such-banking77') }), (e: Failed) => {
    assert.equal(e.code, 2);
    assert.match(e.stderr, /no-such-banking77\/test\.csv not found/);
    return true;
  });
});

test('the full release (ENSEMBLE_BANKING77): any intent; the shipped sample is rebuilt byte for byte', { skip: noFullSet }, async () => {
  const env = { ...process.env, ENSEMBLE_BANKING77: fullSet };
  const items = readItems((await run(['--intents', 'age_limit,card_arrival', '--per-intent', '40'], env)).stdout);
  assert.equal(items.length, 80);
  assert.deepEqual([...new Set(items.map((i) => i.category))], ['age', 'card']);
  const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  const shipped = path.join(repoRoot, 'data', 'banking77', 'sample.jsonl');
  const before = sha(shipped);
  await script('banking77Sample.ts', [], env);
  assert.equal(sha(shipped), before);
});

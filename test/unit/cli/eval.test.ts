import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Command } from 'commander';
import { registerEval } from '../../../cli/commands/eval';
import { CliError } from '../../../cli/connect';
import { runEval } from '../../support/runEval';

let dir = '';
const CSV = [
  'question_id,category,answer,m1,m2,m3',
  '1,x,A,A,A,B',
  '2,x,B,A,B,B',
  '3,y,C,C,D,',
  '4,y,D,A,B,C',
  '5,x,A,,A,A',
  '6,y,B,B,NA,C',
].join('\n');

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evalcli-'));
  fs.writeFileSync(path.join(dir, 'p.csv'), CSV);
  fs.writeFileSync(
    path.join(dir, 'p.jsonl'),
    '{"item":"1","model":"<b>m</b>","prediction":"A","gold":"A"}\n{"item":"2","model":"<b>m</b>","prediction":"B","gold":"A"}\n',
  );
  fs.writeFileSync(path.join(dir, 'x.db'), '');
  fs.writeFileSync(path.join(dir, 'ids.txt'), '1\n2\n');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]): Promise<string> => runEval(args);

const usageError = (re: RegExp) => (e: unknown) => e instanceof CliError && e.exitCode === 2 && re.test(e.message);

test('human output: aligned tables and a recommendation', async () => {
  const out = await run(path.join(dir, 'p.csv'), '--train-fraction', '0', '--models', 'm1,m2,m3');
  assert.match(out, /^6 items, 3 models; train fraction 0/m);
  // The per-task verdicts come first: here classification only, on every item (nothing held out).
  assert.match(
    out,
    /^when an ensemble helps, per task.*\n- classification: its gain is within 2 standard errors of none \(23\.3 points \(± 21\.1\); .*6 items, none held out\); use m2 alone/,
  );
  assert.match(out, /member\s+accuracy\s+abstained\s+items\nm1\s+50\.0%\s+16\.7%\s+6\nm2\s+60\.0%\s+0\.0%\s+5\n/);
  // accuracy, calls/item, rounds/item, validation (nothing fitted: -), vs majority
  assert.match(out, /majority\s+83\.3%\s+2\.83\s+1\.00\s+-\s+\+0\.0 pt/);
  assert.match(out, /earlyExit\s+83\.3%\s+2\.33\s+1\.50\s+-\s+\+0\.0 pt/);
  assert.match(out, /oracle\s+83\.3%.*research only/);
  assert.match(out, /recommendation: /);
  // The snippet to paste is JSON of the recommended config.
  const snippet = out.slice(out.indexOf('config.json (paste, or run again with --apply):\n') + 48);
  assert.deepEqual(JSON.parse(snippet), { ensembles: { default: { members: ['m2'], strategy: 'majority' } } });
});

test('--json is the report; --exclude-ids drops items; --html writes an escaped self-contained page', async () => {
  const html = path.join(dir, 'r.html');
  const r = JSON.parse(await run(path.join(dir, 'p.jsonl'), '--json', '--train-fraction', '0', '--html', html));
  assert.equal(r.items, 2);
  assert.deepEqual(r.models, ['<b>m</b>']);
  const page = fs.readFileSync(html, 'utf8');
  assert.ok(page.includes('&lt;b&gt;m&lt;/b&gt;') && !page.includes('<b>m</b>'));
  assert.ok(!/<script|https?:\/\/|<link/i.test(page));
  assert.match(page, /var\(--vscode-foreground, #222\)/);
  const ex = JSON.parse(await run(path.join(dir, 'p.csv'), '--json', '--train-fraction', '0', '--exclude-ids', path.join(dir, 'ids.txt')));
  assert.equal(ex.items, 4);
  assert.equal(ex.excluded, 2);
});

test('bad options and inputs are usage errors (exit code 2) that say what was expected', async () => {
  const csv = path.join(dir, 'p.csv');
  await assert.rejects(run(csv, '--train-fraction', '1'), usageError(/--train-fraction: expected a number in \[0, 1\)/));
  await assert.rejects(run(csv, '--train-fraction', 'half'), usageError(/--train-fraction/));
  await assert.rejects(run(csv, '--seed', '1.5'), usageError(/--seed: expected an integer/));
  await assert.rejects(run(csv, '--models', 'm1,nope'), usageError(/p\.csv:1 \(field "nope"\): no such model column/));
  await assert.rejects(run(csv, '--models', 'm1,m1'), usageError(/listed twice/));
  await assert.rejects(run(csv, '--gold', 'truth'), usageError(/no such gold column/));
  await assert.rejects(run(path.join(dir, 'missing.csv')), usageError(/no such file/));
  await assert.rejects(run(path.join(dir, 'x.db')), usageError(/database recordings/));
  await assert.rejects(run(path.join(dir, 'p.jsonl'), '--gold', 'answer'), usageError(/CSV files only/));
  await assert.rejects(run(path.join(dir, 'p.jsonl'), '--models', 'zz'), usageError(/no recordings for model\(s\) zz/));
  await assert.rejects(run(csv, '--exclude-ids', path.join(dir, 'none.txt')), usageError(/none\.txt: cannot read the file/));
});

test('a database loader hook reads .db files', async () => {
  const program = new Command('ensemble').exitOverride();
  registerEval(program, { loadDatabase: () => [{ item: 'a', model: 'm', prediction: 'X', gold: 'X' }] });
  let out = '';
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'ensemble', 'eval', path.join(dir, 'x.db'), '--json', '--train-fraction', '0']);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(JSON.parse(out).perModel[0].accuracy, 1);
});

test('the diversity hints appear under the text report and, escaped, in the HTML report', async () => {
  // m2 copies m1 on 23 of 24 items; m3 goes against both on 4 items and is right on 2 of them.
  const rows = ['id,answer,m1,m2,m3'];
  for (let i = 0; i < 24; i++) {
    const gold = i < 4 ? 'B' : 'A';
    const m1 = i < 2 ? 'B' : 'A';
    const m2 = i === 23 ? 'B' : m1;
    const m3 = i < 4 ? 'B' : i < 6 ? 'C' : 'A';
    rows.push(`${i},${gold},${m1},${m2},${m3}`);
  }
  fs.writeFileSync(path.join(dir, 'div.csv'), rows.join('\n'));
  const html = path.join(dir, 'div.html');
  const out = await run(path.join(dir, 'div.csv'), '--train-fraction', '0', '--html', html);
  assert.match(out, /Diversity:\n {2}- m2 agrees with m1 on 96 % of items and adds nothing/);
  assert.match(out, / {2}- m3 disagrees most \(with the others on 17 % of items\) and is right 50 % of the time when it does/);
  const page = fs.readFileSync(html, 'utf8');
  assert.match(page, /<h3>Which members add diversity<\/h3>\n<ul><li>m2 agrees with m1 on 96 % of items and adds nothing/);
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadIdList, loadJsonl, loadRecordingsFile, loadWideCsv, parseCsv, RecordingsError } from '../../../daemon/learning/recordings';

const cells = (text: string) => parseCsv(text).map((r) => r.cells);

test('parseCsv: plain fields, LF and CRLF, final newline optional', () => {
  assert.deepEqual(cells('a,b\n1,2\n'), [
    ['a', 'b'],
    ['1', '2'],
  ]);
  assert.deepEqual(cells('a,b\r\n1,2\r\n'), [
    ['a', 'b'],
    ['1', '2'],
  ]);
  assert.deepEqual(cells('a,b\r\n1,2'), [
    ['a', 'b'],
    ['1', '2'],
  ]);
  assert.deepEqual(cells('a\r1\r'), [['a'], ['1']]);
});

test('parseCsv: quoted fields hold commas, doubled quotes and line breaks', () => {
  assert.deepEqual(cells('"a,b","say ""hi""","x\r\ny"\n'), [['a,b', 'say "hi"', 'x\r\ny']]);
  assert.deepEqual(cells('"",x\n'), [['', 'x']]);
});

test('parseCsv: empty cells, trailing comma, blank lines skipped, BOM ignored', () => {
  assert.deepEqual(cells('\uFEFFa,,c\n,\n\n1,2,\n'), [
    ['a', '', 'c'],
    ['', ''],
    ['1', '2', ''],
  ]);
});

test('parseCsv: line numbers count the lines inside quoted fields', () => {
  const rows = parseCsv('h\n"multi\nline"\nnext\n');
  assert.deepEqual(
    rows.map((r) => r.line),
    [1, 2, 4],
  );
});

test('parseCsv: malformed quoting is an error naming the line and column', () => {
  assert.throws(
    () => parseCsv('a,b\n1,"open\n', 'f.csv'),
    (e: RecordingsError) => e instanceof RecordingsError && /f\.csv:2 \(field "column 2"\): quoted field is never closed/.test(e.message),
  );
  assert.throws(() => parseCsv('a,b\n1,x"y\n', 'f.csv'), /f\.csv:2 \(field "column 2"\): unexpected double quote/);
  assert.throws(() => parseCsv('"a"b\n', 'f.csv'), /f\.csv:1 .*after a closing quote/);
});

const WIDE = ['question_id,category,n_options,answer,m1,m2,m3', '1,math,4,A,A,B,', '2,law,10,C,NA,C,"C"', '3,math,4,B,,,A', ''].join(
  '\r\n',
);

test('loadWideCsv: empty cell = abstention, NA = absent, metadata columns are not models', () => {
  const recs = loadWideCsv(WIDE, 'w.csv');
  assert.equal(recs.length, 8);
  assert.deepEqual(
    recs.filter((r) => r.item === '1'),
    [
      { item: '1', model: 'm1', prediction: 'A', gold: 'A', category: 'math' },
      { item: '1', model: 'm2', prediction: 'B', gold: 'A', category: 'math' },
      { item: '1', model: 'm3', prediction: null, gold: 'A', category: 'math' },
    ],
  );
  assert.equal(
    recs.some((r) => r.item === '2' && r.model === 'm1'),
    false,
  );
  assert.deepEqual(new Set(recs.map((r) => r.model)), new Set(['m1', 'm2', 'm3']));
});

test('loadWideCsv: --models selects and orders columns; named columns must exist', () => {
  const recs = loadWideCsv(WIDE, 'w.csv', { models: ['m3', 'm1'] });
  assert.deepEqual([...new Set(recs.map((r) => r.model))], ['m3', 'm1']);
  assert.throws(
    () => loadWideCsv(WIDE, 'w.csv', { models: ['nope'] }),
    /w\.csv:1 \(field "nope"\): no such model column; model columns are: m1, m2, m3/,
  );
  assert.throws(() => loadWideCsv(WIDE, 'w.csv', { gold: 'truth' }), /w\.csv:1 \(field "truth"\): no such gold column/);
});

test('loadWideCsv: a gold column named gold is found; rows of the wrong width are rejected', () => {
  const recs = loadWideCsv('id,gold,a\nx,B,B\n', 'g.csv');
  assert.deepEqual(recs, [{ item: 'x', model: 'a', prediction: 'B', gold: 'B' }]);
  assert.throws(() => loadWideCsv('id,gold,a\nx,B\n', 'g.csv'), /g\.csv:2: expected 3 fields as in the header, found 2/);
  assert.throws(() => loadWideCsv('id,gold,a\nx,B,B\nx,A,A\n', 'g.csv'), /g\.csv:3 \(field "id"\): duplicate item id "x"/);
  assert.throws(() => loadWideCsv('', 'e.csv'), /e\.csv:1: expected a header row/);
});

test('loadJsonl: long form with confidence, probabilities, gold, category; null = abstention', () => {
  const text = [
    '{"item":"q1","model":"a","prediction":"X","confidence":0.9,"gold":"X","category":"c"}',
    '',
    '{"item":2,"model":"b","prediction":null,"probabilities":{"X":0.4,"Y":0.6}}',
  ].join('\n');
  assert.deepEqual(loadJsonl(text, 'l.jsonl'), [
    { item: 'q1', model: 'a', prediction: 'X', confidence: 0.9, gold: 'X', category: 'c' },
    { item: '2', model: 'b', prediction: null, probabilities: { X: 0.4, Y: 0.6 } },
  ]);
});

test('loadJsonl: errors name the file, the line, the field and what was expected', () => {
  const bad = (line: string) => () => loadJsonl(`{"item":"a","model":"m","prediction":"X"}\n${line}\n`, 'l.jsonl');
  assert.throws(bad('{"item":"b","model":"m"}'), /l\.jsonl:2 \(field "prediction"\): is required/);
  assert.throws(
    bad('{"item":"b","model":"m","prediction":3}'),
    /l\.jsonl:2 \(field "prediction"\): expected a string or null, found number 3/,
  );
  assert.throws(
    bad('{"item":"b","model":"m","prediction":"X","confidence":1.5}'),
    /l\.jsonl:2 \(field "confidence"\): expected a number in \[0, 1\]/,
  );
  assert.throws(
    bad('{"item":"b","model":"m","prediction":"X","probabilities":{"X":0.9,"Y":0.9}}'),
    /field "probabilities"\): expected probabilities summing to at most 1/,
  );
  assert.throws(bad('{"item":"b","model":"m","prediction":"X","probabilities":{"X":"high"}}'), /field "probabilities\.X"\)/);
  assert.throws(bad('{"model":"m","prediction":"X"}'), /l\.jsonl:2 \(field "item"\): is required/);
  assert.throws(bad('not json'), /l\.jsonl:2: expected one JSON object per line/);
  assert.throws(bad('[1]'), /l\.jsonl:2: expected a JSON object, found an array/);
  assert.throws(bad('{"item":"a","model":"m","prediction":"Y"}'), /duplicate record for item "a" and model "m"/);
});

test('loadRecordingsFile dispatches on the extension; loadIdList reads one id per line or a CSV', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rec-'));
  try {
    fs.writeFileSync(path.join(dir, 'w.csv'), WIDE);
    fs.writeFileSync(path.join(dir, 'l.jsonl'), '{"item":"a","model":"m","prediction":"X"}\n');
    fs.writeFileSync(path.join(dir, 'x.txt'), '');
    fs.writeFileSync(path.join(dir, 'ids.csv'), 'question_id,model\n7,a\n7,b\n9,a\n');
    assert.equal(loadRecordingsFile(path.join(dir, 'w.csv')).length, 8);
    assert.equal(loadRecordingsFile(path.join(dir, 'l.jsonl')).length, 1);
    assert.throws(() => loadRecordingsFile(path.join(dir, 'x.txt')), /expected a \.csv .* or \.jsonl/);
    assert.throws(() => loadRecordingsFile(path.join(dir, 'missing.csv')), /missing\.csv: cannot read the file: ENOENT/);
    assert.deepEqual(loadIdList(path.join(dir, 'ids.csv')), new Set(['7', '9']));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

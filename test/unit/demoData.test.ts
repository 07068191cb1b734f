/** How `ensemble demo` picks its items and finds the shipped sample (cli/demo/demoData.ts). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findSample, pickItems, type DemoItem } from '../../cli/demo/demoData';

const item = (id: string, label: string): DemoItem => ({ id, text: `text ${id}`, label });

describe('pickItems', () => {
  const items = [item('a1', 'a'), item('a2', 'a'), item('a3', 'a'), item('b1', 'b'), item('c1', 'c'), item('c2', 'c')];

  it('takes one item of each label in turn, so a short demo sees every label', () => {
    assert.deepEqual(
      pickItems(items, 4).map((i) => i.id),
      ['a1', 'b1', 'c1', 'a2'],
    );
  });

  it("skips labels that ran out, and stops at the file's size", () => {
    assert.deepEqual(
      pickItems(items, 5).map((i) => i.id),
      ['a1', 'b1', 'c1', 'a2', 'c2'],
    );
    assert.deepEqual(
      pickItems(items, 100).map((i) => i.id),
      ['a1', 'b1', 'c1', 'a2', 'c2', 'a3'],
    );
  });
});

describe('findSample', () => {
  it('finds data/banking77/sample.jsonl above the code, wherever it runs from', () => {
    const found = findSample(path.join(import.meta.dirname, 'deeper', 'still'));
    assert.equal(found, path.resolve(import.meta.dirname, '..', '..', 'data', 'banking77', 'sample.jsonl'));
    assert.ok(fs.statSync(found).size > 0);
  });

  it('says where it looked and what to do when there is none', () => {
    const nowhere = fs.mkdtempSync(path.join(os.tmpdir(), 'no-sample-'));
    assert.throws(() => findSample(nowhere), /data\/banking77\/sample\.jsonl\) is not beside this ensemble .*--data FILE/);
  });
});

/** Log hygiene and private files: bounded lines, size-based rotation, and the home's modes fixed on start. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Logger } from '../../daemon/process/log';
import { rotatingWriter } from '../../daemon/process/logRotation';
import { fitReply, pageIds } from '../../daemon/paging';
import { makeHomePrivate } from '../../daemon/process/privateHome';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-log-'));

describe('Logger', () => {
  it('cuts a long line and says by how much, to the file and to subscribers alike', () => {
    const written: string[] = [];
    const logger = new Logger('info', (t) => written.push(t), 100);
    const seen: string[] = [];
    logger.subscribe((l) => seen.push(l.message));
    logger.warn('x'.repeat(1_000));
    assert.match(written[0]!, /x{100}… \(900 more chars\)\n$/);
    assert.equal(seen[0], `${'x'.repeat(100)}… (900 more chars)`);
    logger.info('short');
    assert.match(written[1]!, / info {2}short\n$/);
  });
});

describe('rotatingWriter', () => {
  it('rotates the file its descriptor writes to by size, keeping `keep` old files, all 0600', () => {
    const dir = tmp();
    const file = path.join(dir, 'daemon.log');
    const fd = fs.openSync(file, 'a', 0o600);
    const write = rotatingWriter(file, { fd, maxBytes: 10_000, keep: 3 });
    const line = `${'y'.repeat(99)}\n`;
    for (let i = 0; i < 2_000; i++) write(line); // 200 KB: many rotations
    fs.closeSync(fd);
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(names, ['daemon.log', 'daemon.log.1', 'daemon.log.2', 'daemon.log.3']);
    for (const n of names) {
      const st = fs.statSync(path.join(dir, n));
      assert.ok(st.size < 20_000, `${n} is ${st.size} bytes`);
      assert.equal(st.mode & 0o777, 0o600, n);
    }
    // Nothing half-written: every line whole.
    for (const n of names)
      assert.ok(
        fs
          .readFileSync(path.join(dir, n), 'utf8')
          .split('\n')
          .slice(0, -1)
          .every((l) => l.length === 99),
      );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("does not rotate what is not its descriptor's file", () => {
    const dir = tmp();
    const file = path.join(dir, 'daemon.log');
    fs.writeFileSync(file, 'z'.repeat(50_000));
    const other = path.join(dir, 'other.log');
    const fd = fs.openSync(other, 'a');
    const write = rotatingWriter(file, { fd, maxBytes: 1_000 });
    for (let i = 0; i < 100; i++) write('line\n');
    fs.closeSync(fd);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['daemon.log', 'other.log']);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('makeHomePrivate', () => {
  it('makes the home 0700, its folders 0700 and its files 0600, and says what it changed', () => {
    const home = tmp();
    fs.chmodSync(home, 0o755);
    fs.mkdirSync(path.join(home, 'models'), { mode: 0o755 });
    fs.writeFileSync(path.join(home, 'models', 'm.gguf'), 'x', { mode: 0o644 });
    fs.writeFileSync(path.join(home, 'ensemble.db'), 'x', { mode: 0o666 });
    fs.chmodSync(path.join(home, 'ensemble.db'), 0o666);
    const umask = process.umask();
    try {
      const fixed = makeHomePrivate(home);
      assert.equal(fixed.length, 4);
      assert.equal(fs.statSync(home).mode & 0o777, 0o700);
      assert.equal(fs.statSync(path.join(home, 'models')).mode & 0o777, 0o700);
      assert.equal(fs.statSync(path.join(home, 'models', 'm.gguf')).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.join(home, 'ensemble.db')).mode & 0o777, 0o600);
      assert.deepEqual(makeHomePrivate(home), [], 'a second start changes nothing');
    } finally {
      process.umask(umask);
    }
    fs.rmSync(home, { recursive: true, force: true });
  });
});

describe('reply pages', () => {
  it('fitReply keeps the longest prefix under the budget, at least one item', () => {
    const items = Array.from({ length: 10 }, (_, i) => ({ i, pad: 'p'.repeat(100) }));
    const page = fitReply(items, 500);
    assert.ok(page.length >= 1 && page.length < 10);
    assert.ok(Buffer.byteLength(JSON.stringify(page)) <= 500);
    assert.equal(fitReply([{ big: 'b'.repeat(1_000) }], 10).length, 1);
  });
  it('pageIds walks every id once, in order, following the cursor', () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => `item-${String(i).padStart(4, '0')}`).reverse();
    const seen: string[] = [];
    let page = pageIds(ids, undefined, 2_000);
    seen.push(...page.itemIds);
    while (page.nextCursor !== undefined) {
      page = pageIds(ids, page.nextCursor, 2_000);
      seen.push(...page.itemIds);
    }
    assert.deepEqual(seen, [...ids].sort());
  });
});

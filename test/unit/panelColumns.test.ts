/** compare in columns: one column per member, a header with status and counts, text wrapped to the column, rows when too many. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { panelColumns, wrap } from '../../cli/commands/panelColumns';
import { panelAnswer } from './generationFixtures';

describe('panel columns', () => {
  it('puts each member in its own column, wrapped to the width', () => {
    const out = panelColumns([panelAnswer('a', 'ok', 'one two three four five six'), panelAnswer('b', 'ok', 'short')], 43);
    const lines = out.trimEnd().split('\n');
    assert.match(lines[0]!, /^a {19} \| b$/);
    assert.match(lines[1]!, /^ok 7 ms 3 tok stop {2,}\| ok 7 ms 3 tok stop$/);
    assert.ok(
      lines.every((l) => l.length <= 43),
      'no line is wider than the terminal',
    );
    const left = lines.slice(3).map((l) => l.split('|')[0]!.trim());
    assert.deepEqual(left, ['one two three four', 'five six']);
  });

  it('shows a failed member by its error, and starts a new row of columns when the width runs out', () => {
    const failed = { ...panelAnswer('c', 'error', ''), error: { code: 1005, kind: 'BackendError', message: 'refused' } };
    const out = panelColumns([panelAnswer('a', 'ok', 'x'), panelAnswer('b', 'ok', 'y'), failed], 43);
    const blocks = out.split('\n\n');
    assert.equal(blocks.length, 2);
    assert.match(blocks[1]!, /^c\n/);
    assert.match(blocks[1]!, /refused/);
  });

  it('cuts a word longer than the column into pieces', () => {
    assert.deepEqual(wrap('abcdefgh ij', 3), ['abc', 'def', 'gh', 'ij']);
  });
});

/** How a classified range follows edits (extension/rangeTracking.ts), which the code lenses rely on. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trackSpan, type Change, type Span } from '../../../extension/rangeTracking';

const span = (l1: number, c1: number, l2: number, c2: number): Span => ({
  start: { line: l1, character: c1 },
  end: { line: l2, character: c2 },
});
const change = (l1: number, c1: number, l2: number, c2: number, text: string): Change => ({ range: span(l1, c1, l2, c2), text });
const classified = span(2, 4, 2, 10);

describe('trackSpan', () => {
  it('leaves the span where it is when the edit is after it', () => {
    assert.deepEqual(trackSpan(classified, [change(2, 10, 2, 10, 'xyz'), change(5, 0, 6, 0, '')]), classified);
  });

  it('shifts the span down and up with lines inserted or deleted before it', () => {
    assert.deepEqual(trackSpan(classified, [change(0, 0, 0, 0, 'a\nb\n')]), span(4, 4, 4, 10));
    assert.deepEqual(trackSpan(classified, [change(0, 0, 1, 0, '')]), span(1, 4, 1, 10));
  });

  it('moves the columns with an edit earlier on the same line', () => {
    assert.deepEqual(trackSpan(classified, [change(2, 0, 2, 2, 'abcde')]), span(2, 7, 2, 13));
    assert.deepEqual(trackSpan(classified, [change(2, 0, 2, 4, '')]), span(2, 0, 2, 6));
  });

  it("joins lines: an edit from a previous line into the span's line moves both line and column", () => {
    // "…line 1 end" + "\n" + "abcd<classified>": deleting from (1,3) to (2,2) puts the span on line 1.
    assert.deepEqual(trackSpan(classified, [change(1, 3, 2, 2, '')]), span(1, 5, 1, 11));
  });

  it('gives up (null) when an edit touches the classified text', () => {
    assert.equal(trackSpan(classified, [change(2, 5, 2, 6, 'X')]), null);
    assert.equal(trackSpan(classified, [change(1, 0, 3, 0, '')]), null);
  });

  it('applies several changes of one event, whatever their order', () => {
    const changes = [change(0, 0, 0, 0, 'top\n'), change(2, 0, 2, 0, '>>'), change(9, 0, 9, 0, 'tail')];
    const expected = span(3, 6, 3, 12);
    assert.deepEqual(trackSpan(classified, changes), expected);
    assert.deepEqual(trackSpan(classified, [...changes].reverse()), expected);
  });
});

/** webview/render/diversity.ts: the inspector's agreement matrix as cells, without a DOM. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diversityCells } from '../../../webview/render/diversity';
import { DiversityView } from '../../../protocol/methods';

describe('diversityCells', () => {
  it('shades by agreement, writes every figure as text and explains it in the title', () => {
    const view = DiversityView.parse({
      ensemble: 'default',
      members: ['a', 'b', 'c'],
      items: 40,
      withGold: 10,
      agreement: [
        [1, 0.96, 0.4],
        [0.96, 1, null],
        [0.4, null, 1],
      ],
      errorCorrelation: [
        [1, 0.9, null],
        [0.9, 1, null],
        [null, null, 1],
      ],
      hints: ['b agrees with a on 96 % of items and adds nothing'],
    });
    const cells = diversityCells(view);
    assert.deepEqual(
      cells.map((r) => r.map((c) => [c.text, c.level])),
      [
        [
          ['—', -1],
          ['96%', 4],
          ['40%', 0],
        ],
        [
          ['96%', 4],
          ['—', -1],
          ['n/a', -1],
        ],
        [
          ['40%', 0],
          ['n/a', -1],
          ['—', -1],
        ],
      ],
    );
    assert.equal(cells[0]![1]!.title, 'a and b agree on 96 % of items; error correlation 0.90');
    assert.equal(cells[0]![2]!.title, 'a and c agree on 40 % of items; error correlation unknown (needs feedback)');
    assert.equal(cells[1]![2]!.title, 'b and c were never asked together');
  });
});

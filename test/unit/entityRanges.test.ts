/** Where extracted entities are highlighted, and what their hover says. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExtractionResult } from '../../protocol/tasks';
import { ENTITY_COLORS, entityRanges, escapeMarkdown } from '../../extension/entityRanges';

const result: ExtractionResult = {
  id: 'x',
  ensemble: 'default',
  types: ['person', 'location'],
  spans: [
    { type: 'person', text: 'Ada Lovelace', start: 0, end: 12, agreement: 1, members: ['a', 'b', 'c'] },
    { type: 'location', text: 'London', start: 44, end: 50, agreement: 2 / 3, members: ['a', 'b[x](http://evil)'] },
  ],
  rejected: [],
  quorum: 0.67,
  votes: ['a', 'b', 'c'].map((m) => ({ member: m, model: m, status: 'ok' as const, spans: [], unaligned: 0, latencyMs: 1 })),
  partial: false,
  note: '',
  elapsedMs: 3,
  createdAt: new Date(0).toISOString(),
};

describe('entity ranges', () => {
  it('offsets follow where the extracted text starts; one color per type', () => {
    const r = entityRanges(result, 100);
    assert.deepEqual(
      r.map((x) => [x.type, x.start, x.end, x.color]),
      [
        ['person', 100, 112, 0],
        ['location', 144, 150, 1],
      ],
    );
    assert.ok(r.every((x) => x.color < ENTITY_COLORS.length));
  });

  it('the hover gives type, agreement and members, with member names escaped', () => {
    const [ada, london] = entityRanges(result, 0);
    assert.equal(ada!.hover, '**person** · 3/3 members agree (1.00): a, b, c');
    assert.match(london!.hover, /2\/3 members agree \(0\.67\)/);
    assert.ok(!london!.hover.includes('[x](http'), 'no live link');
    assert.equal(escapeMarkdown('[x](y)'), '\\[x\\]\\(y\\)');
  });
});

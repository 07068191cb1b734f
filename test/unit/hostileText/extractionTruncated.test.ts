/**
 * A cut extraction reply says so at every end: the protocol refuses `truncated` without `dropped`
 * (and the other way round), and the CLI prints what is missing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatExtraction } from '../../../cli/commands/extract';
import { ExtractionResult } from '../../../protocol/tasks';

const base: ExtractionResult = {
  id: 'x',
  ensemble: 'e',
  types: ['person'],
  spans: [{ type: 'person', text: 'Ada', start: 0, end: 3, agreement: 1, members: ['a'] }],
  rejected: [],
  quorum: 0.5,
  votes: [{ member: 'a', model: 'a', status: 'ok', spans: [{ type: 'person', text: 'Ada' }], unaligned: 0, latencyMs: 1 }],
  partial: false,
  note: '1 of 1 members answered',
  elapsedMs: 1,
  createdAt: new Date(0).toISOString(),
};
const dropped = { spans: 3, rejected: 4, proposed: 5, occurrences: 6 };

describe('a cut extraction says so', () => {
  it('the protocol takes truncated and dropped together, never one alone', () => {
    assert.ok(ExtractionResult.safeParse(base).success);
    assert.ok(ExtractionResult.safeParse({ ...base, truncated: true, dropped }).success);
    assert.equal(ExtractionResult.safeParse({ ...base, truncated: true }).success, false);
    assert.equal(ExtractionResult.safeParse({ ...base, dropped }).success, false);
  });

  it('the CLI prints TRUNCATED with the counts, and nothing when the reply is whole', () => {
    const cut = formatExtraction({ ...base, truncated: true, dropped });
    assert.match(cut, /TRUNCATED: the reply was cut to fit \(3 kept, 4 rejected and 5 proposed spans not listed; 6 spans aligned/);
    assert.doesNotMatch(formatExtraction(base), /TRUNCATED/);
  });
});

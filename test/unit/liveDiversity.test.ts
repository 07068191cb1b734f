/**
 * daemon/learning/liveDiversity.ts over a real store (MemoryStore and SQLite): decisions recorded
 * as the daemon records them, gold from feedback, read back as the inspector's diversity view.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liveDiversity } from '../../daemon/learning/liveDiversity';
import { MemoryStore } from '../../daemon/store/memoryStore';
import { SqliteStore } from '../../daemon/store/sqliteStore';
import type { Store } from '../../daemon/store/store';
import type { Decision, Vote } from '../../protocol/ensemble';

function vote(member: string, label: string | null, status: Vote['status'] = 'ok'): Vote {
  return {
    member,
    model: member.split('#')[0]!,
    promptStyle: member.includes('#') ? 'stepByStep' : 'direct',
    status,
    label,
    confidence: null,
    rawConfidence: null,
    confidenceSource: 'none',
    probabilities: {},
    weight: 1,
    latencyMs: 10,
  };
}

function decision(i: number, votes: Vote[], ensemble = 'default'): Decision {
  return {
    id: `d${i}`,
    ensemble,
    strategy: 'majority',
    labels: ['bug', 'feature'],
    label: votes[0]!.label,
    confidence: 0.6,
    agreement: 0.6,
    votes,
    partial: false,
    earlyExit: false,
    note: '',
    elapsedMs: 30,
    createdAt: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
    inputHash: `h${i}`,
  };
}

for (const [name, open] of [
  ['MemoryStore', () => new MemoryStore()],
  ['SqliteStore', () => new SqliteStore(':memory:')],
] as const) {
  describe(`liveDiversity on ${name}`, () => {
    it('a prompt variant that repeats its model is named, the dissenter is judged on feedback', () => {
      const store: Store = open();
      try {
        for (let i = 0; i < 20; i++) {
          const c = i < 5 ? 'feature' : 'bug';
          store.recordDecision(decision(i, [vote('qwen', 'bug'), vote('qwen#stepByStep', 'bug'), vote('phi', c)]), { source: 'live' });
          // Feedback on the items phi dissents on: it was right on 3 of 5.
          if (i < 5) store.recordFeedback(`d${i}`, i < 3 ? 'feature' : 'bug', Date.now());
        }
        store.recordDecision(decision(99, [vote('x', 'bug'), vote('y', 'bug')], 'other'), { source: 'live' });
        const view = liveDiversity(store, 'default', ['qwen', 'qwen#stepByStep', 'phi'])!;
        assert.equal(view.items, 20, "only the ensemble's own decisions");
        assert.equal(view.withGold, 5);
        assert.deepEqual(view.agreement[0], [1, 1, 0.75]);
        assert.match(view.hints[0]!, /^qwen#stepByStep agrees with qwen \(another prompt of the same model\) on 100 % of items/);
        assert.ok(
          view.hints.some((h) =>
            /^phi disagrees most \(with the others on 25 % of items\) and is right 60 % of the time when it does/.test(h),
          ),
          view.hints.join('\n'),
        );
        assert.equal(liveDiversity(store, 'empty', ['a', 'b']), undefined, 'no decisions: no view');
        assert.equal(liveDiversity(store, 'default', ['qwen']), undefined, 'one member: nothing to compare');
      } finally {
        store.close();
      }
    });
  });
}

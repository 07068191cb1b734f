/** Self-consistency: the share of a member's samples agreeing with its own majority, and mux's pick over a table of samples. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generationPlanFor, replayGeneration } from '../../../daemon/strategies/generationPlan';
import { consistencyOf, muxPick } from '../../../daemon/strategies/selfConsistency';

describe('self-consistency', () => {
  it('counts agreement after normalization; the majority stands for the member by its first sample', () => {
    assert.deepEqual(consistencyOf(['Paris.', 'paris', 'Lyon']), { representative: 0, share: 2 / 3 });
    assert.deepEqual(consistencyOf(['Lyon', 'Paris', ' PARIS ']), { representative: 1, share: 2 / 3 });
    assert.deepEqual(consistencyOf(['a', 'b', 'c']), { representative: 0, share: 1 / 3 }, 'all different: the first, 1/n');
    assert.deepEqual(consistencyOf(['', '  ', 'x']), { representative: 2, share: 1 / 3 }, 'blank samples (failures) agree with nothing');
    assert.deepEqual(consistencyOf([]), { representative: -1, share: 0 });
  });

  it('mux picks the most consistent member; ties by validation accuracy, then listed order', () => {
    const table: Record<string, string[]> = {
      shaky: ['Paris', 'Lyon', 'Nice'],
      steady: ['Rome', 'rome', 'Rome!'],
      mostly: ['Paris', 'Paris', 'Lyon'],
    };
    const candidates = Object.entries(table).map(([member, samples]) => ({
      member,
      consistency: consistencyOf(samples).share,
      accuracy: null,
    }));
    assert.equal(muxPick(candidates), 'steady');
    const tied = [
      { member: 'a', consistency: 1, accuracy: null },
      { member: 'b', consistency: 1, accuracy: 0.6 },
      { member: 'c', consistency: 1, accuracy: 0.9 },
      { member: 'd', consistency: 1, accuracy: 0.9 },
    ];
    assert.equal(muxPick(tied), 'c');
    assert.equal(muxPick(tied.map((t) => ({ ...t, accuracy: null }))), 'a');
    assert.equal(muxPick([]), null);
  });

  it('the mux plan asks everyone once and replays to the same pick, ignoring members without an answer', () => {
    const listed = ['a', 'b', 'c'];
    const recorded = { a: 2 / 3, b: 1, c: 1 } as Record<string, number>;
    const plan = generationPlanFor('mux', listed, 1, (m) => (m === 'c' ? 0.8 : 0.5));
    const r = replayGeneration(plan, listed, (m) => ({ status: 'ok', accepted: true, latencyMs: 1, consistency: recorded[m] }));
    assert.equal(r.picked, 'c', 'b and c tie at 1; c has the higher accuracy');
    assert.equal(r.calls, 3);
    const failedC = replayGeneration(plan, listed, (m) =>
      m === 'c'
        ? { status: 'error', accepted: false, latencyMs: 1, consistency: 0 }
        : { status: 'ok', accepted: true, latencyMs: 1, consistency: recorded[m] },
    );
    assert.equal(failedC.picked, 'b');
  });
});

/**
 * Refinement streams on real llama.cpp: every step's tokens reach the client as `refineToken`
 * progress, in order and before that step (and so the chain) ends; an editor that returns the draft
 * unchanged ends the chain; a step that times out keeps the last complete text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ProgressValue } from '../../protocol/methods';
import { poolConfig, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';

describe('refinement streams token by token', () => {
  let daemon: TestDaemon;

  before(async () => {
    const home = tempHome();
    const [a, b, c] = tinyPool(home);
    const config = poolConfig([a!, b!, c!]);
    config.ensembles = {
      // a and c favour different words: each editor changes the draft.
      alternating: { members: [a!.id, c!.id, b!.id], strategy: 'majority' },
      // a and b favour the same word: b returns a's draft unchanged, and the chain stops there.
      converging: { members: [a!.id, b!.id, c!.id], strategy: 'majority' },
      // c cannot answer within 1 ms: its step times out and the text stays a's.
      slowLast: { members: [a!.id, 'slow'], strategy: 'majority' },
    };
    config.models = [
      ...(config.models ?? []),
      { id: 'slow', backend: 'llama.cpp', path: c!.path, threads: 1, contextSize: 256, timeoutMs: 1 },
    ];
    writeConfig(home, config);
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
  });

  async function run(ensemble: string): Promise<{ events: ProgressValue[]; result: import('../../protocol/ensemble').RefineResult }> {
    const conn = await daemon.connect();
    try {
      const events: ProgressValue[] = [];
      const result = await conn.rpc.request(
        'ensemble/refine',
        { text: 'the app crash', maxTokens: 8, ensemble },
        { onProgress: (p) => events.push(p) },
      );
      return { events, result };
    } finally {
      conn.close();
    }
  }

  it('tokens of each step arrive in order, before that step is reported done', async () => {
    const { events, result } = await run('alternating');
    assert.equal(result.steps.length, 3);
    assert.ok(result.steps.every((s) => s.status === 'ok'));
    for (const [i, step] of result.steps.entries()) {
      const doneAt = events.findIndex((e) => e.kind === 'refineStep' && e.done === i + 1);
      const tokens = events.map((e, at) => ({ e, at })).filter(({ e }) => e.kind === 'refineToken' && e.index === i);
      assert.ok(tokens.length >= 2, `step ${i} streamed ${tokens.length} pieces`);
      assert.ok(
        tokens.every(({ at }) => at < doneAt),
        `every token of step ${i} precedes its refineStep`,
      );
      const streamed = tokens.map(({ e }) => (e.kind === 'refineToken' ? e.text : '')).join('');
      assert.equal(streamed.trim(), step.text);
      assert.ok(tokens.every(({ e }) => e.kind === 'refineToken' && e.member === step.member && e.role === step.role));
    }
    // Steps stream one after another: no token of step i+1 before step i is done.
    const firstOf = (i: number) => events.findIndex((e) => e.kind === 'refineToken' && e.index === i);
    assert.ok(firstOf(0) < firstOf(1) && firstOf(1) < firstOf(2));
    assert.equal(result.converged, false);
  });

  it('an editor that returns the draft unchanged ends the chain, which is then not partial', async () => {
    const { result } = await run('converging');
    assert.deepEqual(
      result.steps.map((s) => s.role),
      ['draft', 'edit'],
    );
    assert.equal(result.steps[0]!.text, result.steps[1]!.text);
    assert.equal(result.converged, true);
    assert.equal(result.partial, false);
    assert.equal(result.text, result.steps[0]!.text.trim());
  });

  it('a step that times out keeps the last complete text', async () => {
    const { result } = await run('slowLast');
    assert.equal(result.steps[1]!.status, 'timeout');
    assert.equal(result.steps[1]!.text, '');
    assert.equal(result.text, result.steps[0]!.text.trim());
    assert.equal(result.partial, true);
  });
});

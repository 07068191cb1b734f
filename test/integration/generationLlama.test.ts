/**
 * The generation strategies over in-process llama.cpp members (models the suite generates): compare
 * returns every member's streamed answer; fusion has a member judge the panel and streams its
 * tokens; firstSuccess returns the first member's answer without asking the others.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GenerationResult, type GenerateParams } from '../../protocol/generation';
import type { ProgressValue } from '../../protocol/methods';
import { poolConfig, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';

describe('generation strategies on llama.cpp', () => {
  let daemon: TestDaemon;
  let ids: string[];

  before(async () => {
    const home = tempHome();
    const models = tinyPool(home);
    ids = models.map((m) => m.id);
    writeConfig(home, poolConfig(models));
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
  });

  async function generate(params: Partial<GenerateParams>): Promise<{ result: GenerationResult; events: ProgressValue[] }> {
    const conn = await daemon.connect();
    try {
      const events: ProgressValue[] = [];
      const result = await conn.rpc.request(
        'ensemble/generate',
        { prompt: 'the app crash', maxTokens: 6, ...params },
        { onProgress: (p) => events.push(p) },
      );
      return { result: GenerationResult.parse(result), events };
    } finally {
      conn.close();
    }
  }

  it('compare: every member answers, with the tokens it streamed', async () => {
    const { result } = await generate({ strategy: 'compare' });
    assert.deepEqual(
      result.panel.map((a) => a.member),
      ids,
    );
    for (const a of result.panel) {
      assert.equal(a.status, 'ok', a.error?.message);
      assert.ok(a.text.trim().length > 0, `${a.member} wrote something`);
      assert.ok(a.tokens >= 1 && a.tokens <= 6, `${a.member} streamed ${a.tokens} pieces`);
    }
  });

  it('fusion: a member judges the panel, its tokens streaming as progress', async () => {
    const { result, events } = await generate({ strategy: 'fusion', judge: ids[2], minResponses: 3 });
    assert.equal(result.judge!.status, 'ok');
    assert.equal(result.judge!.model, ids[2]);
    assert.deepEqual(result.judge!.shown, ids);
    const streamed = events.flatMap((e) => (e.kind === 'judgeToken' ? [e.text] : [])).join('');
    assert.equal(streamed.trim(), result.judge!.text.trim(), 'the streamed tokens are the judge text (llama.cpp returns it trimmed)');
    assert.equal(result.text, result.judge!.text.trim());
    assert.deepEqual(result.missing, []);
  });

  it('firstSuccess: the first member answers and nobody else is asked', async () => {
    const { result } = await generate({ strategy: 'firstSuccess' });
    assert.equal(result.from, ids[0]);
    assert.deepEqual(
      result.panel.map((a) => a.status),
      ['ok', 'skipped', 'skipped'],
    );
    assert.equal(result.calls, 1);
  });
});

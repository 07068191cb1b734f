/**
 * Self-consistency as a label confidence, in a real daemon process: a member on a loopback
 * OpenAI-style server without logprobs, set to sample three answers, votes the majority of what
 * the server said per call, with the agreeing share as its confidence; `weighted` adds its spread
 * to a member with logprobs. The fake answers by the request's seed, so the result does not
 * depend on the order the calls arrive in.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { alts, startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';
import { LABELS, startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';

const BY_SEED: Record<number, string> = { 7: 'bug', 8: 'feature', 9: 'bug' };

describe('self-consistency as a label confidence in a real daemon', { timeout: 120_000 }, () => {
  let home: string;
  let daemon: TestDaemon;
  let sampler: FakeOpenAiServer;
  let scorer: FakeOpenAiServer;

  before(async () => {
    home = tempHome();
    sampler = (await startOpenAiServer()).script((req) => ({
      content: BY_SEED[req.body?.seed as number] ?? 'no seed sent',
      ignoreLogprobs: true,
    }));
    scorer = (await startOpenAiServer()).script({ tokens: [{ token: 'feature', top: alts({ feature: 0.6, bug: 0.4 }) }] });
    writeConfig(home, {
      models: [
        {
          id: 'sampler',
          backend: 'openai',
          baseUrl: sampler.baseUrl,
          model: 'test-model',
          scoring: 'none',
          selfConsistency: { samples: 3, temperature: 0.9, seed: 7 },
        },
        { id: 'scorer', backend: 'openai', baseUrl: scorer.baseUrl, model: 'test-model' },
      ],
      ensembles: { default: { members: ['sampler', 'scorer'], strategy: 'weighted', labels: LABELS } },
    });
    daemon = await startTestDaemon(home);
  });
  after(async () => {
    await daemon?.stop();
    await Promise.all([sampler?.close(), scorer?.close()]);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('votes the majority of its samples with their agreement as confidence, and weighted uses it', async () => {
    const conn = await daemon.connect();
    try {
      const d = await conn.rpc.request('ensemble/classify', { text: 'the app crashes on save' });
      const sampled = sampler.requests.filter((r) => r.path === '/v1/chat/completions');
      assert.deepEqual(
        sampled.map((r) => [r.body.temperature, r.body.seed]).sort(),
        [
          [0.9, 7],
          [0.9, 8],
          [0.9, 9],
        ],
        'three samples at the temperature, consecutive seeds',
      );
      const vote = d.votes.find((v) => v.member === 'sampler')!;
      assert.equal(vote.status, 'ok');
      assert.equal(vote.label, 'bug');
      assert.equal(vote.confidenceSource, 'selfConsistency');
      assert.equal(vote.rawConfidence, 2 / 3);
      assert.deepEqual(vote.probabilities, { bug: 2 / 3, feature: 1 / 3 });
      // The greedy member is asked as before: once, at temperature 0.
      const scored = scorer.requests.filter((r) => r.path === '/v1/chat/completions');
      assert.deepEqual(
        scored.map((r) => [r.body.temperature, r.body.seed]),
        [[0, undefined]],
      );
      // weighted: bug 2/3 + 0.4 outweighs feature 1/3 + 0.6, so the sampler's spread decided.
      assert.equal(d.label, 'bug');
    } finally {
      conn.close();
    }
  });
});

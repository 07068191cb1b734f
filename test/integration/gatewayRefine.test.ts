/**
 * Sequential refinement (draft, then edits) on real llama.cpp, over JSON-RPC, the CLI and the
 * OpenAI-style HTTP gateway; and a classification through the gateway.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { Decision, RefineResult } from '../../protocol/ensemble';
import type { ProgressValue } from '../../protocol/methods';
import { LABELS, poolConfig, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';

describe('refinement and the HTTP gateway', () => {
  let daemon: TestDaemon;
  let base: string;
  let headers: Record<string, string>;

  before(async () => {
    const home = tempHome();
    // Neighbours in the chain favour different words, so no editor returns its draft unchanged (which would end the chain).
    const [a, b, c] = tinyPool(home);
    writeConfig(home, poolConfig([a!, c!, b!]));
    daemon = await startTestDaemon(home);
    base = `http://127.0.0.1:${daemon.info.port}`;
    headers = { authorization: `Bearer ${daemon.info.token}`, 'content-type': 'application/json' };
  });
  after(async () => {
    await daemon?.stop();
  });

  it('refine: the first member drafts, the others edit, each step reported as it finishes', async () => {
    const conn = await daemon.connect();
    try {
      const steps: ProgressValue[] = [];
      const result = await conn.rpc.request(
        'ensemble/refine',
        { text: 'the app crash', maxTokens: 8 },
        { onProgress: (p) => steps.push(p) },
      );
      RefineResult.parse(result);
      assert.deepEqual(
        result.steps.map((s) => s.role),
        ['draft', 'edit', 'edit'],
      );
      assert.ok(result.steps.every((s) => s.status === 'ok' && s.text.length > 0));
      assert.equal(result.text, result.steps.at(-1)!.text.trim());
      assert.equal(steps.filter((s) => s.kind === 'refineStep').length, 3);
      assert.equal(result.partial, false);
    } finally {
      conn.close();
    }
  });

  it('ensemble refine on the command line prints the final text', async () => {
    const r = await daemon.cli(['refine', 'fix this sentence', '--max-tokens', '6', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = RefineResult.parse(JSON.parse(r.stdout));
    assert.equal(result.steps.length, 3);
  });

  it('GET /v1/models lists the ensembles', async () => {
    const res = await request(`${base}/v1/models`, { headers });
    assert.equal(res.statusCode, 200);
    const body = (await res.body.json()) as { object: string; data: Array<{ id: string }> };
    assert.equal(body.object, 'list');
    assert.deepEqual(
      body.data.map((m) => m.id),
      ['default'],
    );
  });

  it('POST /v1/chat/completions answers in the OpenAI shape', async () => {
    const res = await request(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: 'default',
        max_tokens: 6,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hello world' },
        ],
      }),
    });
    assert.equal(res.statusCode, 200);
    const body = (await res.body.json()) as {
      object: string;
      choices: Array<{ message: { role: string; content: string }; finish_reason: string }>;
    };
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.choices[0]!.message.role, 'assistant');
    assert.ok(body.choices[0]!.message.content.length > 0);
  });

  it('POST /v1/chat/completions with stream: true answers in server-sent chunks ending with [DONE]', async () => {
    const res = await request(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'default', stream: true, max_tokens: 6, messages: [{ role: 'user', content: 'hello world' }] }),
    });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/event-stream/);
    const events = (await res.body.text())
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ''));
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events
      .slice(0, -1)
      .map((e) => JSON.parse(e) as { object: string; choices: Array<{ delta: { content?: string }; finish_reason: string | null }> });
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
    assert.ok((chunks[0]!.choices[0]!.delta.content ?? '').length > 0);
    assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'stop');
  });

  it('POST /v1/classifications returns a decision; bad bodies get 400 with the reason', async () => {
    const res = await request(`${base}/v1/classifications`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ text: 'it crashes', labels: LABELS }),
    });
    assert.equal(res.statusCode, 200);
    const d = Decision.parse(await res.body.json());
    assert.equal(d.label, 'bug');
    const bad = await request(`${base}/v1/classifications`, { method: 'POST', headers, body: JSON.stringify({ labels: LABELS }) });
    assert.equal(bad.statusCode, 400);
    assert.match(((await bad.body.json()) as { error: { message: string } }).error.message, /text/);
    const notJson = await request(`${base}/v1/chat/completions`, { method: 'POST', headers, body: '{' });
    assert.equal(notJson.statusCode, 400);
    await notJson.body.dump();
    const unknown = await request(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(unknown.statusCode, 404);
    await unknown.body.dump();
  });
});

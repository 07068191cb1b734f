/**
 * The gateway through the official `openai` npm client, unchanged: streamed chat over a whole
 * conversation (real tokens from real llama.cpp), a classification with its votes, an extraction,
 * an answer, and errors in OpenAI's shape (401 bad key, 404 unknown model, 400 malformed, 413).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { request } from 'undici';
import { Decision } from '../../protocol/ensemble';
import { AnswerResult, ExtractionResult } from '../../protocol/tasks';
import { LABELS, poolConfig, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';
import { EXTRACT_TEXT, taskPoolConfig } from './taskPool';

/** What the gateway adds to OpenAI's shapes. */
type WithEnsemble<T> = T & { ensemble?: Record<string, unknown> };

describe('the gateway with the official openai client', () => {
  let daemon: TestDaemon;
  let client: OpenAI;
  let baseURL: string;

  before(async () => {
    const home = tempHome();
    const [a, b, c] = tinyPool(home);
    const labels = poolConfig([a!, c!, b!]); // neighbours differ, so every editor changes the draft
    const tasks = taskPoolConfig(home);
    writeConfig(home, { models: [...labels.models!, ...tasks.models!], ensembles: { ...labels.ensembles, ...tasks.ensembles } });
    daemon = await startTestDaemon(home);
    baseURL = `http://127.0.0.1:${daemon.info.port}/v1`;
    client = new OpenAI({ apiKey: daemon.info.token, baseURL, maxRetries: 0 });
  });
  after(async () => {
    await daemon?.stop();
  });

  it('streams a chat completion over the whole conversation, token by token', async () => {
    const stream = await client.chat.completions.create({
      model: 'default',
      stream: true,
      max_tokens: 8,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hello world' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'the app' },
            { type: 'text', text: 'crashes' },
          ],
        },
      ],
    });
    const pieces: string[] = [];
    let last: WithEnsemble<OpenAI.ChatCompletionChunk> | undefined;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      const content = chunk.choices[0]?.delta.content;
      if (content) pieces.push(content);
      last = chunk;
    }
    assert.ok(pieces.length >= 2, `the last editor's tokens arrive one by one (got ${pieces.length} pieces)`);
    assert.equal(last!.choices[0]!.finish_reason, 'stop');
    const summary = last!.ensemble as { text: string; steps: Array<{ role: string; status: string }> };
    assert.deepEqual(
      summary.steps.map((s) => s.role),
      ['draft', 'edit', 'edit'],
    );
    assert.equal(pieces.join('').trim(), summary.text);
  });

  it('answers a chat completion without streaming, the steps in the extra field', async () => {
    const res = (await client.chat.completions.create({
      model: 'default',
      max_completion_tokens: 6,
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'hello world' },
      ],
    })) as WithEnsemble<OpenAI.ChatCompletion>;
    assert.equal(res.object, 'chat.completion');
    assert.ok(res.choices[0]!.message.content!.length > 0);
    assert.equal((res.ensemble as { steps: unknown[] }).steps.length, 3);
  });

  it('classifies with the labels as a JSON-schema enum, the votes in the extra field', async () => {
    const res = (await client.chat.completions.create({
      model: 'default/classify',
      messages: [{ role: 'user', content: 'it crashes' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'ticket',
          strict: true,
          schema: { type: 'object', properties: { label: { type: 'string', enum: LABELS } }, required: ['label'] },
        },
      },
    })) as WithEnsemble<OpenAI.ChatCompletion>;
    assert.deepEqual(JSON.parse(res.choices[0]!.message.content!), { label: 'bug' });
    const decision = Decision.parse(res.ensemble!.decision);
    assert.equal(decision.votes.length, 3);
    assert.deepEqual(decision.votes.map((v) => v.label).sort(), ['bug', 'bug', 'feature']);
  });

  it('extracts entities with the types as a JSON-schema enum', async () => {
    const res = (await client.chat.completions.create({
      model: 'extractors/extract',
      messages: [{ role: 'user', content: EXTRACT_TEXT }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'entities',
          schema: {
            type: 'object',
            properties: {
              entities: {
                type: 'array',
                items: { type: 'object', properties: { type: { enum: ['person', 'location'] }, text: { type: 'string' } } },
              },
            },
          },
        },
      },
    })) as WithEnsemble<OpenAI.ChatCompletion>;
    const content = JSON.parse(res.choices[0]!.message.content!) as {
      entities: Array<{ type: string; text: string; start: number; agreement: number }>;
    };
    assert.deepEqual(
      content.entities.map((e) => [e.type, e.text, e.start]),
      [
        ['person', 'Ada Lovelace', 0],
        ['person', 'Charles Babbage', 25],
        ['location', 'London', 44],
      ],
    );
    const extraction = ExtractionResult.parse(res.ensemble!.extraction);
    assert.equal(extraction.votes.length, 3);
  });

  it('answers a factual question by vote, streamed or not', async () => {
    const res = (await client.chat.completions.create({
      model: 'answers/answer',
      messages: [{ role: 'user', content: 'How many?' }],
    })) as WithEnsemble<OpenAI.ChatCompletion>;
    assert.equal(res.choices[0]!.message.content, 'Twenty-one');
    assert.equal(AnswerResult.parse(res.ensemble!.answer).normalized, '21');
    const stream = await client.chat.completions.create({
      model: 'split/answer',
      stream: true,
      messages: [{ role: 'user', content: 'How many?' }],
    });
    let text = '';
    let last: WithEnsemble<OpenAI.ChatCompletionChunk> | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      last = chunk;
    }
    assert.equal(text, '', 'no quorum: no answer');
    assert.equal(AnswerResult.parse(last!.ensemble!.answer).answer, null);
  });

  it('refuses a bad key with 401', async () => {
    const bad = new OpenAI({ apiKey: 'not-the-token', baseURL, maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.AuthenticationError);
      assert.equal(e.status, 401);
      assert.equal(e.type, 'authentication_error');
      return true;
    });
  });

  it('answers 404 model_not_found for an unknown ensemble', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'nope/classify', messages: [{ role: 'user', content: 'x' }] }),
      (e: unknown) => {
        assert.ok(e instanceof OpenAI.NotFoundError);
        assert.equal(e.code, 'model_not_found');
        assert.equal(e.param, 'model');
        assert.match(e.message, /nope/);
        return true;
      },
    );
  });

  it('answers 400 naming the first problems of a malformed body, without echoing it', async () => {
    const secret = 'x'.repeat(5000);
    await assert.rejects(
      client.chat.completions.create({
        model: 'default',
        messages: [
          { role: 'robot' as 'user', content: secret },
          { role: 'user', content: [{ type: 'image_url', image_url: { url: secret } }] },
        ],
      }),
      (e: unknown) => {
        assert.ok(e instanceof OpenAI.BadRequestError);
        assert.equal(e.type, 'invalid_request_error');
        assert.equal(e.param, 'messages.0.role');
        assert.match(e.message, /messages\.0\.role/);
        assert.match(e.message, /messages\.1\.content/);
        assert.ok(!e.message.includes(secret.slice(0, 100)), 'the body is not echoed');
        assert.ok(e.message.length < 2000);
        return true;
      },
    );
    await assert.rejects(client.chat.completions.create({ model: 'default', messages: [] }), OpenAI.BadRequestError);
    await assert.rejects(
      client.chat.completions.create({ model: 'extractors/extract', messages: [{ role: 'user', content: 'x' }] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'response_format',
    );
  });

  it('answers 413 to a body over the bound, and 400 to too many messages', async () => {
    const headers = { authorization: `Bearer ${daemon.info.token}`, 'content-type': 'application/json' };
    const huge = await request(`${baseURL}/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'y'.repeat(1_100_000) }] }),
    });
    assert.equal(huge.statusCode, 413);
    const body = (await huge.body.json()) as { error: { type: string; code: string; param: null } };
    assert.deepEqual([body.error.type, body.error.code, body.error.param], ['invalid_request_error', 'request_too_large', null]);
    const many = Array.from({ length: 300 }, () => ({ role: 'user' as const, content: 'hi' }));
    await assert.rejects(
      client.chat.completions.create({ model: 'default', messages: many }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && /messages/.test(e.message),
    );
  });
});

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { HttpClient, readLines, sseData } from '../../daemon/backends/httpJson';
import { OpenAiBackend } from '../../daemon/backends/openai';
import type { LabelRequest } from '../../daemon/backends/backend';
import { OpenAiModel } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import { alts, startOpenAiServer, type FakeOpenAiServer } from '../fakes/openaiServer';
import { rejectsWith } from '../support/rejectsWith';
import { until } from '../support/until';

const LABELS = ['bug', 'feature', 'question'];
const req = (promptStyle: LabelRequest['promptStyle'] = 'direct'): LabelRequest => ({
  text: 'It crashes on save',
  labels: LABELS,
  promptStyle,
});
const signal = () => new AbortController().signal;

function backend(baseUrl: string, extra: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) {
  return new OpenAiBackend(OpenAiModel.parse({ id: 'm1', backend: 'openai', baseUrl, model: 'test-model', ...extra }), { env });
}

/** A port nobody listens on. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('OpenAiBackend against a vLLM-shaped server', { timeout: 10_000 }, () => {
  let server: FakeOpenAiServer;
  let b: OpenAiBackend;
  before(async () => {
    server = await startOpenAiServer();
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.scriptModels();
    b = backend(server.baseUrl);
  });

  it('classifies with probabilities from top_logprobs and sends the documented body', async () => {
    server.script({ tokens: [{ token: 'bug', top: alts({ bug: 0.6, feature: 0.3, ' The': 0.1 }) }] });
    const s = await b.classify(req(), signal());
    assert.equal(s.label, 'bug');
    assert.equal(s.confidenceSource, 'logprobs');
    assert.ok(Math.abs(s.probabilities.bug! - 0.6 / 0.9) < 1e-9);
    assert.ok(Math.abs(s.probabilities.feature! - 0.3 / 0.9) < 1e-9);
    assert.equal(s.probabilities.question, 0);
    assert.equal(s.confidence, s.probabilities.bug);

    const sent = server.last('/v1/chat/completions')!;
    assert.equal(sent.headers['content-type'], 'application/json');
    assert.equal(sent.headers.authorization, undefined);
    assert.equal(sent.body.model, 'test-model');
    assert.equal(sent.body.temperature, 0);
    assert.equal(sent.body.max_tokens, 16);
    assert.equal(sent.body.stream, false);
    assert.equal(sent.body.logprobs, true);
    assert.equal(sent.body.top_logprobs, 20);
    assert.equal(sent.body.guided_choice, undefined);
    assert.equal(sent.body.structured_outputs, undefined);
    assert.deepEqual(
      sent.body.messages.map((m: { role: string }) => m.role),
      ['system', 'user'],
    );
    assert.match(sent.body.messages[0].content, /bug, feature, question/);
    assert.equal(sent.body.messages[1].content, 'It crashes on save');
  });

  it('guidedChoice sends guided_choice and structured_outputs.choice for the direct style only', async () => {
    b = backend(server.baseUrl, { scoring: 'guidedChoice' });
    server.script({ tokens: [{ token: 'feature', top: alts({ feature: 0.9, bug: 0.1 }) }] });
    const s = await b.classify(req(), signal());
    assert.equal(s.label, 'feature');
    let sent = server.last('/v1/chat/completions')!.body;
    assert.deepEqual(sent.guided_choice, LABELS);
    assert.deepEqual(sent.structured_outputs, { choice: LABELS });
    assert.equal(sent.logprobs, true);

    server.script({ content: 'Short reasoning.\nAnswer: bug' });
    await b.classify(req('stepByStep'), signal());
    sent = server.last('/v1/chat/completions')!.body;
    assert.equal(sent.guided_choice, undefined);
    assert.equal(sent.structured_outputs, undefined);
    assert.equal(sent.max_tokens, 160);
  });

  it('reasoning style: probabilities read after "Answer:"', async () => {
    server.script({
      tokens: [
        { token: 'It fails on save.' },
        { token: '\nAnswer' },
        { token: ':' },
        { token: ' bug', top: alts({ ' bug': 0.8, ' question': 0.2 }) },
      ],
    });
    const s = await b.classify(req('stepByStep'), signal());
    assert.equal(s.label, 'bug');
    assert.equal(s.confidenceSource, 'logprobs');
    assert.ok(Math.abs(s.confidence! - 0.8) < 1e-9);
    assert.match(s.text!, /Answer: bug/);
  });

  it('falls back to the verbalized confidence when the server ignores logprobs', async () => {
    server.script({ content: 'Answer: question\nConfidence: 0.7', ignoreLogprobs: true });
    const s = await b.classify(req('withConfidence'), signal());
    assert.deepEqual([s.label, s.confidence, s.confidenceSource], ['question', 0.7, 'verbalized']);
    assert.deepEqual(s.probabilities, {});
  });

  it('degrades to no confidence when the server ignores logprobs', async () => {
    server.script({ content: 'feature', ignoreLogprobs: true });
    const s = await b.classify(req(), signal());
    assert.deepEqual([s.label, s.confidence, s.confidenceSource], ['feature', null, 'none']);
  });

  it('scoring "none" asks for no logprobs', async () => {
    b = backend(server.baseUrl, { scoring: 'none' });
    server.script({ tokens: [{ token: 'bug', top: alts({ bug: 1 }) }] });
    const s = await b.classify(req(), signal());
    assert.equal(s.confidenceSource, 'none');
    const sent = server.last('/v1/chat/completions')!.body;
    assert.equal(sent.logprobs, undefined);
    assert.equal(sent.top_logprobs, undefined);
  });

  it('retries without logprobs when the server refuses them, and remembers', async () => {
    server.script({ error: 400, message: 'Requested top logprobs of 20 exceeds maximum of 5' }, { content: 'bug' });
    const s = await b.classify(req(), signal());
    assert.deepEqual([s.label, s.confidenceSource], ['bug', 'none']);
    const chats = server.requests.filter((r) => r.path === '/v1/chat/completions');
    assert.equal(chats.length, 2);
    assert.equal(chats[0]!.body.logprobs, true);
    assert.equal(chats[1]!.body.logprobs, undefined);
    await b.classify(req(), signal());
    assert.equal(server.last('/v1/chat/completions')!.body.logprobs, undefined);
  });

  it('sends the API key from apiKeyEnv as a bearer token', async () => {
    b = backend(server.baseUrl, { apiKeyEnv: 'TEST_KEY' }, { TEST_KEY: 'sk-123' });
    server.script({ content: 'bug' });
    await b.classify(req(), signal());
    assert.equal(server.last('/v1/chat/completions')!.headers.authorization, 'Bearer sk-123');
    assert.deepEqual(await b.health(signal()), { ok: true });
    assert.equal(server.last('/v1/models')!.headers.authorization, 'Bearer sk-123');
  });

  it('generate reports each delta as it arrives, sends the whole conversation and a JSON schema as response_format', async () => {
    server.script({ tokens: [{ token: '{"a"' }, { token: ':' }, { token: '1}' }] });
    const pieces: string[] = [];
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'hi' },
      { role: 'assistant' as const, content: 'hello' },
      { role: 'user' as const, content: 'json please' },
    ];
    const schema = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] };
    const out = await b.generate({ prompt: '', messages, jsonSchema: schema, maxTokens: 16 }, signal(), (t) => pieces.push(t));
    assert.deepEqual(pieces, ['{"a"', ':', '1}']);
    assert.equal(out.text, '{"a":1}');
    const sent = server.last('/v1/chat/completions')!.body;
    assert.deepEqual(sent.messages, messages);
    assert.deepEqual(sent.response_format, { type: 'json_schema', json_schema: { name: 'output', schema, strict: true } });
  });

  it('a server that refuses response_format is asked again without it, and not asked with it again', async () => {
    const fresh = new OpenAiBackend(OpenAiModel.parse({ id: 'fresh', backend: 'openai', baseUrl: server.baseUrl, model: 'test-model' }));
    try {
      server.script({ error: 400, message: "Unknown parameter: 'response_format'" }, { content: '{"a":1}' }, { content: '{"a":2}' });
      const schema = { type: 'object', properties: { a: { type: 'number' } } };
      assert.equal((await fresh.generate({ prompt: 'x', jsonSchema: schema, maxTokens: 8 }, signal())).text, '{"a":1}');
      assert.equal((await fresh.generate({ prompt: 'x', jsonSchema: schema, maxTokens: 8 }, signal())).text, '{"a":2}');
      const sent = server.requests
        .filter((r) => r.path === '/v1/chat/completions')
        .slice(-3)
        .map((r) => r.body.response_format !== undefined);
      assert.deepEqual(sent, [true, false, false]);
    } finally {
      await fresh.dispose();
    }
  });

  it('generate streams SSE deltas and concatenates them', async () => {
    server.script({ tokens: [{ token: 'Fixed' }, { token: ' the' }, { token: ' crash.' }] });
    const out = await b.generate({ system: 'Edit.', prompt: 'fix it', maxTokens: 64, temperature: 0.2 }, signal());
    assert.equal(out.text, 'Fixed the crash.');
    const sent = server.last('/v1/chat/completions')!;
    assert.equal(sent.body.stream, true);
    assert.equal(sent.body.max_tokens, 64);
    assert.equal(sent.body.temperature, 0.2);
    assert.deepEqual(sent.body.messages, [
      { role: 'system', content: 'Edit.' },
      { role: 'user', content: 'fix it' },
    ]);
    assert.match(String(sent.headers.accept), /text\/event-stream/);
  });

  it('generate fails with BackendError on an error event mid-stream', async () => {
    server.script({ tokens: [{ token: 'a' }, { token: 'b' }], failAfterTokens: 1 });
    await rejectsWith(b.generate({ prompt: 'x', maxTokens: 8 }, signal()), 'BackendError', /fake failure mid-stream/);
  });

  it('503 is BackendBusy', async () => {
    server.script({ error: 503, message: 'Service is overloaded' });
    await rejectsWith(b.classify(req(), signal()), 'BackendBusy', /Service is overloaded/);
  });

  it('429 is BackendBusy', async () => {
    server.script({ error: 429, message: 'Too many requests' });
    await rejectsWith(b.classify(req(), signal()), 'BackendBusy', /Too many requests/);
  });

  it('400 is BackendError with the server message', async () => {
    server.script({ error: 400, message: "This model's maximum context length is 4096 tokens" });
    const err = await rejectsWith(b.classify(req(), signal()), 'BackendError', /maximum context length is 4096/);
    assert.equal((err.data as { status: number }).status, 400);
  });

  it('malformed JSON is BackendError', async () => {
    server.script({ raw: '{"choices": [', contentType: 'application/json' });
    await rejectsWith(b.classify(req(), signal()), 'BackendError', /invalid JSON/);
  });

  /** A chat completion whose first token carries `logprob` as written (raw JSON text, so 1e999 and strings go through). */
  const withLogprob = (logprob: string, alt = '-0.5') =>
    `{"choices": [{"message": {"content": "bug"}, "logprobs": {"content": [{"token": "bug", "logprob": ${logprob},` +
    ` "top_logprobs": [{"token": "bug", "logprob": ${logprob}}, {"token": "feature", "logprob": ${alt}}]}]}}]}`;

  it('untrusted numbers: a logprob of 1000, +Infinity (1e999) or a NaN-ish string is a BackendError naming it', async () => {
    for (const [bad, shown] of [
      ['1000', /logprob 1000 for token "bug"/],
      ['1e999', /logprob Infinity/],
      ['"NaN"', /logprob "NaN"/],
      ['"-0.1"', /logprob "-0.1"/],
    ] as const) {
      server.script({ raw: withLogprob(bad) });
      await rejectsWith(b.classify(req(), signal()), 'BackendError', shown);
    }
  });

  it('untrusted numbers: -Infinity (-1e999) is probability 0, and the vote stays finite', async () => {
    server.script({ raw: withLogprob('-0.1', '-1e999') });
    const s = await b.classify(req(), signal());
    assert.equal(s.label, 'bug');
    assert.equal(s.probabilities.feature, 0);
    assert.ok(Number.isFinite(s.confidence) && s.confidence === 1);
  });

  it('a connection reset mid-body is BackendError, not a hang', async () => {
    server.script({ reset: true });
    await rejectsWith(b.classify(req(), signal()), 'BackendError', /failed|closed|socket|terminated/i);
  });

  it('a JSON answer without choices is BackendError', async () => {
    server.script({ raw: '{"object": "chat.completion"}' });
    await rejectsWith(b.classify(req(), signal()), 'BackendError', /malformed chat completion/);
  });

  // No timer decides these: each aborts once the server holds the request, then waits for the
  // backend to settle and to close the connection. The describe's timeout is only a safety net:
  // a backend that ignored the abort would hang there instead of passing.
  it('a hung request settles with RequestCancelled once aborted, and its connection is closed', async () => {
    for (const run of [
      (s: AbortSignal) => b.classify(req(), s),
      (s: AbortSignal) => b.generate({ prompt: 'x', maxTokens: 8 }, s),
      (s: AbortSignal) => b.health(s),
    ]) {
      server.script({ hang: true });
      server.scriptModels({ hang: true });
      const { requests, dropped } = { requests: server.requests.length, dropped: server.dropped };
      const ac = new AbortController();
      const settled = run(ac.signal).then(
        (v) => v,
        (e: unknown) => e,
      );
      await server.when(() => server.requests.length > requests);
      ac.abort();
      const outcome = await settled;
      if (outcome instanceof EnsembleError) assert.equal(outcome.kind, 'RequestCancelled');
      else assert.deepEqual(outcome, { ok: false, reason: 'health check cancelled' });
      await server.when(() => server.dropped > dropped);
    }
  });

  it('aborting while the answer streams settles with RequestCancelled and closes the stream', async () => {
    server.script({ tokens: [{ token: 'a' }, { token: 'b' }], stallAfterTokens: 1 });
    const { requests, dropped } = { requests: server.requests.length, dropped: server.dropped };
    const ac = new AbortController();
    const settled = b.generate({ prompt: 'x', maxTokens: 8 }, ac.signal);
    // The fake writes the first token as it routes the request, then stalls: the abort lands mid-stream.
    await server.when(() => server.requests.length > requests);
    ac.abort();
    await rejectsWith(settled, 'RequestCancelled');
    await server.when(() => server.dropped > dropped);
  });

  it('health: ok when /v1/models lists the model', async () => {
    assert.deepEqual(await b.health(signal()), { ok: true });
  });

  it('health: names the served models when ours is missing', async () => {
    b = new OpenAiBackend(OpenAiModel.parse({ id: 'm1', backend: 'openai', baseUrl: server.baseUrl, model: 'other' }));
    const h = await b.health(signal());
    assert.equal(h.ok, false);
    assert.match(h.reason!, /does not serve model "other".*"test-model"/);
    assert.match(h.hint!, /test-model/);
  });

  it('health: tolerates servers without /v1/models', async () => {
    server.scriptModels({ error: 404, message: 'Not Found' });
    assert.deepEqual(await b.health(signal()), { ok: true });
  });

  it('health: a base URL without /v1 that 404s gets a hint', async () => {
    b = backend(server.origin);
    const h = await b.health(signal());
    assert.equal(h.ok, false);
    assert.match(h.hint!, /\/v1/);
  });

  it('health: reports a missing API key variable and a refused key', async () => {
    b = backend(server.baseUrl, { apiKeyEnv: 'NOPE' });
    let h = await b.health(signal());
    assert.equal(h.ok, false);
    assert.match(h.reason!, /NOPE/);
    b = backend(server.baseUrl, { apiKeyEnv: 'K' }, { K: 'bad' });
    server.scriptModels({ error: 401, message: 'Unauthorized' });
    h = await b.health(signal());
    assert.equal(h.ok, false);
    assert.match(h.reason!, /401/);
    assert.match(h.hint!, /K/);
  });
});

describe('OpenAiBackend against other dialects', { timeout: 10_000 }, () => {
  it('llama.cpp server: error bodies, 503 while loading, ping comments, single-model /v1/models', async () => {
    const server = await startOpenAiServer({ flavor: 'llama.cpp', models: ['/models/qwen2.5-0.5b.gguf'] });
    try {
      const b = backend(server.baseUrl);
      // llama.cpp serves one model whatever "model" says.
      assert.deepEqual(await b.health(signal()), { ok: true, memoryBytes: 397808192 });

      server.scriptModels({ error: 503, message: 'Loading model' });
      const h = await b.health(signal());
      assert.equal(h.ok, false);
      assert.match(h.reason!, /Loading model/);

      server.script({ error: 503, message: 'Loading model' });
      await rejectsWith(b.classify(req(), signal()), 'BackendBusy', /Loading model/);

      server.script({ error: 400, message: 'the request exceeds the available context size' });
      await rejectsWith(b.classify(req(), signal()), 'BackendError', /exceeds the available context size/);

      server.script({ tokens: [{ token: 'Hello' }, { token: ' world' }] });
      assert.deepEqual(await b.generate({ prompt: 'hi', maxTokens: 8 }, signal()), { text: 'Hello world' });
    } finally {
      await server.close();
    }
  });

  it('older vLLM error body {"object": "error", "message"}', async () => {
    const server = await startOpenAiServer({ flavor: 'vllm-legacy' });
    try {
      server.script({ error: 404, message: 'The model `x` does not exist.' });
      await rejectsWith(backend(server.baseUrl).classify(req(), signal()), 'BackendError', /The model `x` does not exist/);
    } finally {
      await server.close();
    }
  });

  it('connection refused is ModelUnavailable naming the URL, and health says why', async () => {
    const baseUrl = `http://127.0.0.1:${await closedPort()}/v1`;
    const b = backend(baseUrl);
    const err = await rejectsWith(b.classify(req(), signal()), 'ModelUnavailable', /connection refused/);
    assert.ok(err.message.includes(baseUrl));
    await rejectsWith(b.generate({ prompt: 'x', maxTokens: 4 }, signal()), 'ModelUnavailable');
    const h = await b.health(signal());
    assert.equal(h.ok, false);
    assert.match(h.reason!, /cannot reach .* \(connection refused\)/);
    assert.match(h.hint!, /start the server/);
    await b.dispose();
  });
});

describe('HttpClient details', { timeout: 10_000 }, () => {
  it('maxConcurrency caps open connections: a second request waits in the pool for the first', async () => {
    const server = await startOpenAiServer();
    try {
      let n = 0;
      server.script(() => (n++ === 0 ? { hang: true } : { content: 'bug' }));
      const http = new HttpClient({ baseUrl: server.baseUrl, maxConcurrency: 1 });
      const first = new AbortController();
      const p1 = http.postJson('/chat/completions', {}, first.signal).catch((e: unknown) => e);
      await server.when(() => server.requests.length === 1);
      const p2 = http.postJson<{ choices: unknown[] }>('/chat/completions', {}, signal());
      // Without the cap the pool would open a second connection and nothing would ever queue.
      await until('the second request to wait in the pool', async () => (http.queued === 1 ? true : undefined));
      assert.equal(server.requests.length, 1, 'the server has seen only the first request');
      first.abort();
      assert.equal(((await p1) as EnsembleError).kind, 'RequestCancelled');
      assert.equal((await p2).choices.length, 1);
      assert.equal(server.requests.length, 2);
      assert.equal(http.queued, 0);
      await http.close();
    } finally {
      await server.close();
    }
  });

  it('bounds the response size', async () => {
    const server = await startOpenAiServer();
    try {
      server.script({ raw: JSON.stringify({ pad: 'x'.repeat(5000) }) });
      const http = new HttpClient({ baseUrl: server.baseUrl, maxResponseBytes: 1000 });
      await rejectsWith(http.postJson('/chat/completions', {}, signal()), 'BackendError', /larger than 1000 bytes/);
      await http.close();
    } finally {
      await server.close();
    }
  });

  it('SSE: CRLF, comments, other fields and multi-line data', async () => {
    async function* chunks() {
      yield Buffer.from(': ping\r\n\r\nevent: message\r\ndata: {"a":');
      yield Buffer.from('1}\r\n\r\ndata: line1\ndata: line2\n\nid: 7\ndata: [DONE]\n\n');
    }
    const out: string[] = [];
    for await (const d of sseData(readLines(chunks()))) out.push(d);
    assert.deepEqual(out, ['{"a":1}', 'line1\nline2', '[DONE]']);
  });
});

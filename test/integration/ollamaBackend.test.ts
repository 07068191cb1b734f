import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { OllamaBackend } from '../../daemon/backends/ollama';
import type { LabelRequest } from '../../daemon/backends/backend';
import { OllamaModel } from '../../protocol/config';
import { alts, startOllamaServer, type FakeOllamaServer } from '../fakes/ollamaServer';
import { rejectsWith } from '../support/rejectsWith';

const LABELS = ['bug', 'feature', 'question'];
const req = (promptStyle: LabelRequest['promptStyle'] = 'direct'): LabelRequest => ({
  text: 'It crashes on save',
  labels: LABELS,
  promptStyle,
});
const signal = () => new AbortController().signal;

function backend(baseUrl: string, extra: Record<string, unknown> = {}) {
  return new OllamaBackend(OllamaModel.parse({ id: 'o1', backend: 'ollama', baseUrl, model: 'llama3.2', ...extra }));
}

describe('OllamaBackend', { timeout: 10_000 }, () => {
  let server: FakeOllamaServer;
  let b: OllamaBackend;
  before(async () => {
    server = await startOllamaServer();
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.version = '0.12.11';
    b = backend(server.baseUrl);
  });

  it('classifies with probabilities from native logprobs and sends the documented body', async () => {
    server.script({ tokens: [{ token: 'question', top: alts({ question: 0.5, bug: 0.25, feature: 0.125, I: 0.125 }) }] });
    const s = await b.classify(req(), signal());
    assert.equal(s.label, 'question');
    assert.equal(s.confidenceSource, 'logprobs');
    assert.ok(Math.abs(s.probabilities.question! - 0.5 / 0.875) < 1e-9);
    assert.ok(Math.abs(s.probabilities.bug! - 0.25 / 0.875) < 1e-9);

    const sent = server.last('/api/chat')!.body;
    assert.equal(sent.model, 'llama3.2');
    assert.equal(sent.stream, false);
    assert.deepEqual(sent.options, { temperature: 0, num_predict: 16 });
    assert.equal(sent.logprobs, true);
    assert.equal(sent.top_logprobs, 20);
    assert.deepEqual(
      sent.messages.map((m: { role: string }) => m.role),
      ['system', 'user'],
    );
  });

  it('does not ask for logprobs when the entry turns them off', async () => {
    b = backend(server.baseUrl, { logprobs: false });
    server.script({ content: 'bug' });
    const s = await b.classify(req(), signal());
    assert.deepEqual([s.label, s.confidenceSource], ['bug', 'none']);
    const sent = server.last('/api/chat')!.body;
    assert.equal(sent.logprobs, undefined);
    assert.equal(sent.top_logprobs, undefined);
  });

  it('a server too old for logprobs degrades to the verbalized confidence', async () => {
    server.version = '0.12.10';
    server.script({ tokens: [{ token: 'Answer: feature\nConfidence: 90%', top: alts({ x: 1 }) }] });
    const s = await b.classify(req('withConfidence'), signal());
    assert.deepEqual([s.label, s.confidence, s.confidenceSource], ['feature', 0.9, 'verbalized']);
    assert.equal(server.last('/api/chat')!.body.options.num_predict, 32);
  });

  it('a server too old for logprobs degrades to no confidence', async () => {
    server.version = '0.11.0';
    server.script({ content: 'bug' });
    const s = await b.classify(req(), signal());
    assert.deepEqual([s.label, s.confidence, s.confidenceSource], ['bug', null, 'none']);
  });

  it("generate reports each line's content as it arrives, sends the whole conversation and a JSON schema as format", async () => {
    server.script({ tokens: [{ token: '{"a"' }, { token: ':1}' }] });
    const pieces: string[] = [];
    const messages = [
      { role: 'user' as const, content: 'hi' },
      { role: 'assistant' as const, content: 'hello' },
      { role: 'user' as const, content: 'json please' },
    ];
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    const out = await b.generate({ prompt: '', messages, jsonSchema: schema, maxTokens: 16 }, signal(), (t) => pieces.push(t));
    assert.deepEqual(pieces, ['{"a"', ':1}']);
    assert.equal(out.text, '{"a":1}');
    const sent = server.last('/api/chat')!.body;
    assert.deepEqual(sent.messages, messages);
    assert.deepEqual(sent.format, schema);
  });

  it('generate streams NDJSON and concatenates message contents', async () => {
    server.script({ tokens: [{ token: 'Fixed' }, { token: ' it' }, { token: '.' }] });
    const out = await b.generate({ system: 'Edit.', prompt: 'fix', maxTokens: 50 }, signal());
    assert.equal(out.text, 'Fixed it.');
    const sent = server.last('/api/chat')!.body;
    assert.equal(sent.stream, true);
    assert.deepEqual(sent.options, { temperature: 0, num_predict: 50 });
    assert.deepEqual(sent.messages, [
      { role: 'system', content: 'Edit.' },
      { role: 'user', content: 'fix' },
    ]);
  });

  it('an error line mid-stream is BackendError with its message', async () => {
    server.script({ tokens: [{ token: 'a' }, { token: 'b' }], failAfterTokens: 1 });
    await rejectsWith(
      b.generate({ prompt: 'x', maxTokens: 8 }, signal()),
      'BackendError',
      /an error was encountered while running the model/,
    );
  });

  it('a model that is not pulled is ModelUnavailable with the pull command', async () => {
    b = backend(server.baseUrl, { model: 'qwen3:0.6b' });
    await rejectsWith(b.classify(req(), signal()), 'ModelUnavailable', /ollama pull qwen3:0\.6b/);
    await rejectsWith(b.generate({ prompt: 'x', maxTokens: 4 }, signal()), 'ModelUnavailable', /not pulled/);
    assert.deepEqual(await b.health(signal()), {
      ok: false,
      reason: 'model qwen3:0.6b is not pulled',
      hint: 'run `ollama pull qwen3:0.6b`',
    });
  });

  it('health: ok with the model size when it is pulled ("llama3.2" is "llama3.2:latest")', async () => {
    assert.deepEqual(await b.health(signal()), { ok: true, memoryBytes: 2019393189 });
    assert.ok(server.requests.some((r) => r.path === '/api/version'));
  });

  it('500 is BackendError with the server message; 503 and 429 are BackendBusy', async () => {
    server.script({ error: 500, message: 'llama runner process has terminated: signal: killed' });
    await rejectsWith(b.classify(req(), signal()), 'BackendError', /llama runner process has terminated/);
    server.script({ error: 503, message: 'server busy, please try again.  maximum pending requests exceeded' });
    await rejectsWith(b.classify(req(), signal()), 'BackendBusy', /maximum pending requests exceeded/);
    server.script({ error: 429, message: 'too many requests' });
    await rejectsWith(b.classify(req(), signal()), 'BackendBusy', /too many requests/);
  });

  it('400 is BackendError with the server message', async () => {
    server.script({ error: 400, message: 'top_logprobs must be between 0 and 20' });
    await rejectsWith(b.classify(req(), signal()), 'BackendError', /top_logprobs must be between 0 and 20/);
  });

  it('malformed JSON is BackendError', async () => {
    server.script({ raw: '{"message": {"content": "bug"', contentType: 'application/json' });
    await rejectsWith(b.classify(req(), signal()), 'BackendError', /invalid JSON/);
    server.script({ raw: '{"model":"llama3.2","message":{"content":"a"},"done":false}\nnot json\n', contentType: 'application/x-ndjson' });
    await rejectsWith(b.generate({ prompt: 'x', maxTokens: 4 }, signal()), 'BackendError', /invalid JSON in stream/);
  });

  it('untrusted numbers: logprob 1000, 1e999 and "NaN" are BackendErrors; -1e999 is probability 0', async () => {
    const chat = (lp: string) =>
      `{"model": "llama3.2", "message": {"role": "assistant", "content": "bug"}, "done": true,` +
      ` "logprobs": [{"token": "bug", "logprob": ${lp}, "top_logprobs": [{"token": "bug", "logprob": ${lp}}, {"token": "feature", "logprob": -1e999}]}]}`;
    for (const bad of ['1000', '1e999', '"NaN"']) {
      server.script({ raw: chat(bad) });
      await rejectsWith(b.classify(req(), signal()), 'BackendError', /expected a number <= 0/);
    }
    server.script({ raw: chat('-0.2') });
    const s = await b.classify(req(), signal());
    assert.deepEqual([s.label, s.confidence, s.probabilities.feature], ['bug', 1, 0]);
  });

  it('a connection reset mid-body is BackendError', async () => {
    server.script({ reset: true, partial: '{"model": "llama3.2", "message": {"content": "bu' });
    await rejectsWith(b.classify(req(), signal()), 'BackendError', /./);
  });

  it('a stream that ends without done is BackendError', async () => {
    server.script({ raw: '{"model":"llama3.2","message":{"content":"a"},"done":false}\n', contentType: 'application/x-ndjson' });
    await rejectsWith(b.generate({ prompt: 'x', maxTokens: 4 }, signal()), 'BackendError', /before the answer was complete/);
  });

  // No timer decides these: each aborts once the server holds the request, then waits for the
  // backend to settle and to close the connection. The describe's timeout is only a safety net:
  // a backend that ignored the abort would hang there instead of passing.
  const hangs: [string, () => void, (s: AbortSignal) => Promise<unknown>][] = [
    ['classify, no answer', () => server.script({ hang: true }), (s) => b.classify(req(), s)],
    ['generate, no answer', () => server.script({ hang: true }), (s) => b.generate({ prompt: 'x', maxTokens: 8 }, s)],
    [
      // The fake writes the first token as it routes the request, then stalls: the abort lands mid-stream.
      'generate, stalled stream',
      () => server.script({ tokens: [{ token: 'a' }, { token: 'b' }], stallAfterTokens: 1 }),
      (s) => b.generate({ prompt: 'x', maxTokens: 8 }, s),
    ],
  ];
  for (const [name, arrange, run] of hangs) {
    it(`${name}: abort settles with RequestCancelled and closes the connection`, async () => {
      arrange();
      const { requests, dropped } = { requests: server.requests.length, dropped: server.dropped };
      const ac = new AbortController();
      const settled = run(ac.signal);
      await server.when(() => server.requests.length > requests);
      ac.abort();
      await rejectsWith(settled, 'RequestCancelled');
      await server.when(() => server.dropped > dropped);
    });
  }
});

describe('OllamaBackend without a server', { timeout: 10_000 }, () => {
  it('connection refused is ModelUnavailable naming the URL; health says to start Ollama', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const b = backend(`http://127.0.0.1:${port}`);
    const err = await rejectsWith(b.classify(req(), signal()), 'ModelUnavailable', /connection refused/);
    assert.ok(err.message.includes(`127.0.0.1:${port}`));
    const h = await b.health(signal());
    assert.equal(h.ok, false);
    assert.match(h.reason!, /cannot reach/);
    assert.match(h.hint!, /ollama serve/);
    await b.dispose();
  });
});

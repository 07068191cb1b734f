/**
 * protocol/jsonrpc.ts: two peers wired back to back through an asynchronous in-memory pipe, as the
 * daemon and a client are over the WebSocket. Both directions are the same class.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, EnsembleError } from '../../protocol/errors';
import { encodeNotification, JsonRpcPeer, type RequestContext } from '../../protocol/jsonrpc';
import { jsonOf, rememberedJson } from '../../protocol/serializedOnce';
import type { ProgressValue, RequestResult } from '../../protocol/methods';
import { until as poll } from '../support/until';

type Wire = Record<string, unknown> & {
  id?: unknown;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
};

interface Pair {
  client: JsonRpcPeer;
  server: JsonRpcPeer;
  /** Every message each side wrote, parsed. */
  fromClient: Wire[];
  fromServer: Wire[];
  internalErrors: unknown[];
}

/** Delivery on a later macrotask, like a socket. */
function pair(opts: { defaultTimeoutMs?: number } = {}): Pair {
  const fromClient: Wire[] = [];
  const fromServer: Wire[] = [];
  const internalErrors: unknown[] = [];
  const p = {} as Pair;
  p.client = new JsonRpcPeer(
    (t) => {
      fromClient.push(JSON.parse(t) as Wire);
      setImmediate(() => p.server.receive(t));
    },
    { defaultTimeoutMs: opts.defaultTimeoutMs, onInternalError: (e) => internalErrors.push(e) },
  );
  p.server = new JsonRpcPeer(
    (t) => {
      fromServer.push(JSON.parse(t) as Wire);
      setImmediate(() => p.client.receive(t));
    },
    { onInternalError: (e) => internalErrors.push(e) },
  );
  return Object.assign(p, { fromClient, fromServer, internalErrors });
}

/** A peer whose output is only recorded: for feeding raw text to receive(). */
function lone(): { peer: JsonRpcPeer; out: Wire[] } {
  const out: Wire[] = [];
  return { peer: new JsonRpcPeer((t) => out.push(JSON.parse(t) as Wire)), out };
}

const tick = () => new Promise((r) => setImmediate(r));
/** Waits for `cond` through the suite's one poller, checked every 2 ms (these peers answer within a few ticks). */
const until = (cond: () => boolean, what: string) => poll(what, async () => (cond() ? true : undefined), 5_000, 2);

/** Resolves for everyone once `n` callers have arrived: handlers overlap by construction, not by timing. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return () => {
    if (++arrived === n) open();
    return opened;
  };
}

async function rejection(p: Promise<unknown>): Promise<EnsembleError> {
  const e = await p.then(
    () => assert.fail('expected a rejection'),
    (x: unknown) => x,
  );
  assert.ok(e instanceof EnsembleError, `expected an EnsembleError, got ${String(e)}`);
  return e;
}

const initResult: RequestResult<'initialize'> = { protocolVersion: 1, daemonVersion: '0.1.0', pid: 42 };

function refineResult(text: string): RequestResult<'ensemble/refine'> {
  return { id: 'r1', ensemble: 'default', original: text, text: text.toUpperCase(), steps: [], partial: false, elapsedMs: 1 };
}

/** A handler that waits until its signal fires, then throws what it was aborted with. */
function hangUntilAborted(seen: { ctx?: RequestContext; aborted?: boolean }) {
  return (_params: unknown, ctx: RequestContext): Promise<never> =>
    new Promise((_resolve, reject) => {
      seen.ctx = ctx;
      ctx.signal.addEventListener('abort', () => {
        seen.aborted = true;
        reject(new Error('aborted'));
      });
    });
}

describe('JsonRpcPeer: requests and results', () => {
  it('delivers validated, defaulted params and a validated result', async () => {
    const { client, server, fromClient, fromServer } = pair();
    let received: unknown;
    server.handle('initialize', (params) => {
      received = params;
      return initResult;
    });
    const result = await client.request('initialize', { protocolVersion: 1, client: { name: 'test', version: '1' } });
    assert.deepEqual(result, initResult);
    assert.deepEqual(received, { protocolVersion: 1, client: { name: 'test', version: '1' }, subscribeLog: false }, 'defaults applied');
    assert.deepEqual(fromClient[0], {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: 1, client: { name: 'test', version: '1' } },
    });
    assert.deepEqual(fromServer[0], { jsonrpc: '2.0', id: 1, result: initResult });
  });

  it('ids increase per request and concurrent answers go to their own callers', async () => {
    const { client, server } = pair();
    // "slow" answers only after "fast" has: the answers arrive in the other order than the requests.
    let fastAnswered!: () => void;
    const fastDone = new Promise<void>((r) => (fastAnswered = r));
    server.handle('ensemble/refine', async (params) => {
      if (params.text === 'slow') await fastDone;
      else setImmediate(fastAnswered);
      return refineResult(params.text);
    });
    const [slow, fast] = await Promise.all([
      client.request('ensemble/refine', { text: 'slow' }),
      client.request('ensemble/refine', { text: 'fast' }),
    ]);
    assert.equal(slow.text, 'SLOW');
    assert.equal(fast.text, 'FAST');
  });

  it("a result that does not match the method's schema is rejected as InternalError", async () => {
    const { client, server } = pair();
    server.handle('initialize', () => ({ protocolVersion: 1, daemonVersion: '0.1.0', pid: 'not a number' }) as never);
    const e = await rejection(client.request('initialize', { protocolVersion: 1, client: { name: 't', version: '1' } }));
    assert.equal(e.kind, 'InternalError');
    assert.match(e.message, /malformed initialize result/);
    assert.match(e.message, /pid/);
  });

  it('a result whose JSON was taken already (jsonOf) is sent as that text, not serialized again', async () => {
    const { client, server, fromServer } = pair();
    const result = refineResult('once');
    server.handle('ensemble/refine', () => {
      jsonOf(result);
      // Changed after its text was taken: the reply carries the text, which is the rule (no change after jsonOf).
      result.text = 'changed later';
      return result;
    });
    const got = await client.request('ensemble/refine', { text: 'once' }, { timeoutMs: 5_000 });
    assert.equal(got.text, 'ONCE');
    assert.deepEqual(fromServer[0], { jsonrpc: '2.0', id: 1, result: { ...refineResult('once') } });
    assert.equal(rememberedJson(result), JSON.stringify(refineResult('once')));
    assert.equal(rememberedJson('a string'), undefined);
  });

  it('a handler returning nothing answers null', async () => {
    const { client, server, fromServer } = pair();
    server.handle('shutdown', () => undefined as never);
    assert.equal(await client.request('shutdown', {}), null);
    assert.deepEqual(fromServer[0], { jsonrpc: '2.0', id: 1, result: null });
  });
});

describe('JsonRpcPeer: protocol faults', () => {
  it('invalid params: -32602 with the zod issues, and the handler is not called', async () => {
    const { client, server, fromServer } = pair();
    let called = false;
    server.handle('ensemble/classify', () => {
      called = true;
      throw new Error('unreachable');
    });
    const e = await rejection(client.request('ensemble/classify', { text: '', labels: ['only-one'] }));
    assert.equal(called, false);
    assert.equal(e.kind, 'InvalidParams');
    assert.equal(e.code, -32602);
    assert.match(e.message, /invalid params for ensemble\/classify/);
    const wire = fromServer[0]!;
    assert.equal(wire.error?.code, ErrorCodes.InvalidParams);
    const issues = (wire.error?.data as { issues: Array<{ path: unknown[] }> }).issues;
    assert.deepEqual(issues.map((i) => i.path).sort(), [['labels'], ['text']]);
    assert.deepEqual((e.data as { issues: unknown[] }).issues, issues, 'the caller gets the issues too');
  });

  it('strict params: an unknown key on an empty-params method is refused', async () => {
    const { client, server } = pair();
    server.handle('pool/status', () => assert.fail('not called'));
    const e = await rejection(client.request('pool/status', { verbose: true } as never));
    assert.equal(e.kind, 'InvalidParams');
  });

  it('method not found: a method without a handler, and a method that is not in the table', async () => {
    const { client } = pair();
    const e = await rejection(client.request('shutdown', {}));
    assert.equal(e.kind, 'MethodNotFound');
    assert.equal(e.code, -32601);
    assert.match(e.message, /method not found: shutdown/);

    const { peer, out } = lone();
    peer.handle('shutdown', () => null);
    peer.receive(JSON.stringify({ jsonrpc: '2.0', id: 'x', method: 'no/such', params: {} }));
    await tick();
    assert.deepEqual(out, [{ jsonrpc: '2.0', id: 'x', error: { code: -32601, message: 'method not found: no/such' } }]);
  });

  it('parse error: -32700 with a null id, and the peer keeps working', async () => {
    const { peer, out } = lone();
    peer.handle('shutdown', () => null);
    peer.receive('{"jsonrpc": "2.0", "id": 1, "method": ');
    assert.deepEqual(out[0], { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error: the message is not valid JSON' } });
    peer.receive(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'shutdown' }));
    await tick();
    assert.deepEqual(out[1], { jsonrpc: '2.0', id: 2, result: null });
  });

  it('invalid request: -32600, echoing the id when there is one', () => {
    const { peer, out } = lone();
    peer.receive(JSON.stringify({ hello: 'world' }));
    peer.receive(JSON.stringify({ jsonrpc: '1.0', id: 7, method: 'shutdown' }));
    peer.receive('42');
    assert.deepEqual(
      out.map((m) => [m.id, m.error?.code]),
      [
        [null, -32600],
        [7, -32600],
        [null, -32600],
      ],
    );
  });

  it('a request id already running is refused', async () => {
    const { peer, out } = lone();
    const seen: { aborted?: boolean } = {};
    peer.handle('shutdown', hangUntilAborted(seen));
    peer.receive(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'shutdown' }));
    peer.receive(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'shutdown' }));
    await tick();
    assert.deepEqual(out[0], { jsonrpc: '2.0', id: 5, error: { code: -32600, message: 'request id 5 is already in use' } });
    peer.close();
  });

  it('batch: every element is handled on its own and answered by id; an empty batch is an invalid request', async () => {
    const { peer, out } = lone();
    peer.handle('shutdown', () => null);
    peer.handle('initialize', () => initResult);
    const logs: unknown[] = [];
    peer.onNotification('$/log', (p) => logs.push(p));
    peer.receive(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'shutdown' },
        { jsonrpc: '2.0', method: '$/log', params: { level: 'info', message: 'hi', time: 't' } },
        { jsonrpc: '2.0', id: 2, method: 'initialize', params: { protocolVersion: 1, client: { name: 'a', version: 'b' } } },
        { jsonrpc: '2.0', id: 3, method: 'nope' },
        { bogus: true },
      ]),
    );
    await until(() => out.length === 4, 'four answers');
    const byId = new Map(out.map((m) => [m.id, m]));
    assert.deepEqual(byId.get(1), { jsonrpc: '2.0', id: 1, result: null });
    assert.deepEqual(byId.get(2), { jsonrpc: '2.0', id: 2, result: initResult });
    assert.equal(byId.get(3)?.error?.code, -32601);
    assert.equal(byId.get(null)?.error?.code, -32600);
    assert.deepEqual(logs, [{ level: 'info', message: 'hi', time: 't' }]);

    out.length = 0;
    peer.receive('[]');
    assert.deepEqual(out, [{ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'empty batch' } }]);
  });

  it('limits: a batch over maxBatch is refused whole; requests over maxInFlight are refused at once', async () => {
    const out: Wire[] = [];
    const peer = new JsonRpcPeer((t) => out.push(JSON.parse(t) as Wire), { maxBatch: 3, maxInFlight: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    peer.handle('shutdown', async () => {
      await gate;
      return null;
    });
    peer.receive(JSON.stringify([1, 2, 3, 4].map((id) => ({ jsonrpc: '2.0', id, method: 'shutdown' }))));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.error!.code, ErrorCodes.LimitExceeded);
    assert.deepEqual(out[0]!.error!.data, { kind: 'LimitExceeded', limit: 'maxBatch', max: 3 });
    out.length = 0;
    peer.receive(JSON.stringify([1, 2, 3].map((id) => ({ jsonrpc: '2.0', id, method: 'shutdown' }))));
    await tick();
    assert.deepEqual(
      out.map((m) => [m.id, m.error?.code]),
      [[3, ErrorCodes.LimitExceeded]],
    );
    release();
    await until(() => out.length === 3, 'the two running requests to finish');
  });

  it('errors never echo a large input: issues capped in count and size, long ids and method names refused or cut', async () => {
    const { peer, out } = lone();
    peer.handle('initialize', () => initResult);
    peer.handle('pool/status', () => assert.fail('not with invalid params'));
    // 2,000 issues, each naming a long key (strict params): the reply lists 5 and counts the rest.
    peer.receive(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'pool/status',
        params: Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${'x'.repeat(300)}${i}`, 1])),
      }),
    );
    peer.receive(JSON.stringify({ jsonrpc: '2.0', id: 'i'.repeat(10_000), method: 'initialize', params: {} }));
    peer.receive(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'm'.repeat(100_000) }));
    await until(() => out.length === 3, 'three answers');
    const invalid = out.find((m) => m.id === 1)!.error!;
    assert.equal(invalid.code, ErrorCodes.InvalidParams);
    assert.ok((invalid.data as { issues: unknown[] }).issues.length <= 5);
    for (const m of out) assert.ok(JSON.stringify(m).length < 4_000, `an error of ${JSON.stringify(m).length} chars`);
    assert.equal(out.find((m) => m.id === null)?.error?.code, ErrorCodes.InvalidRequest, 'a 10,000-character id is refused, not echoed');
    assert.match(out.find((m) => m.id === 2)!.error!.message, /method not found: m{100}… \(100000 chars\)/);
  });

  it('answers to unknown ids and stray results are ignored', () => {
    const { peer, out } = lone();
    peer.receive(JSON.stringify({ jsonrpc: '2.0', id: 99, result: { x: 1 } }));
    peer.receive(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }));
    assert.deepEqual(out, []);
  });
});

describe('JsonRpcPeer: notifications and progress', () => {
  it('progress is routed by token to its own request only, and only when asked for', async () => {
    const { client, server, fromClient, fromServer } = pair();
    const allStarted = barrier(3);
    server.handle('ensemble/refine', async (params, ctx) => {
      ctx.progress({ kind: 'message', message: `start ${params.text}` });
      await allStarted(); // the three requests run interleaved
      ctx.progress({ kind: 'message', message: `end ${params.text}` });
      return refineResult(params.text);
    });
    const a: ProgressValue[] = [];
    const b: ProgressValue[] = [];
    await Promise.all([
      client.request('ensemble/refine', { text: 'a' }, { onProgress: (v) => a.push(v) }),
      client.request('ensemble/refine', { text: 'b' }, { onProgress: (v) => b.push(v) }),
      client.request('ensemble/refine', { text: 'c' }),
    ]);
    assert.deepEqual(a, [
      { kind: 'message', message: 'start a' },
      { kind: 'message', message: 'end a' },
    ]);
    assert.deepEqual(b, [
      { kind: 'message', message: 'start b' },
      { kind: 'message', message: 'end b' },
    ]);
    const tokens = fromClient.map((m) => (m.params as { progressToken?: unknown }).progressToken);
    assert.deepEqual(tokens, ['p1', 'p2', undefined], 'a token is sent only with onProgress');
    const progress = fromServer.filter((m) => m.method === '$/progress');
    assert.equal(progress.length, 4, 'no progress is sent for the request that did not ask');
  });

  it('progress arriving after the request settled is dropped', async () => {
    const { client, server } = pair();
    let late: RequestContext | undefined;
    server.handle('ensemble/refine', (params, ctx) => {
      late = ctx;
      return refineResult(params.text);
    });
    const seen: ProgressValue[] = [];
    await client.request('ensemble/refine', { text: 'x' }, { onProgress: (v) => seen.push(v) });
    late!.progress({ kind: 'message', message: 'too late' });
    await tick();
    await tick();
    assert.deepEqual(seen, []);
  });

  it('notifications reach their handlers validated; malformed ones are dropped; unsubscribing is idempotent', async () => {
    const { client, server } = pair();
    const first: unknown[] = [];
    const second: unknown[] = [];
    const off = client.onNotification('pool/changed', (p) => first.push(p));
    client.onNotification('pool/changed', (p) => second.push(p));
    const reloaded = { reason: 'config reloaded', changes: [{ kind: 'config' as const, reason: 'config reloaded' }] };
    server.notify('pool/changed', reloaded);
    server.notify('pool/changed', { nope: 1 } as never);
    server.notify('pool/changed', { reason: 'x', changes: [{ kind: 'weather', id: 'm' }] } as never); // an unknown kind
    await until(() => first.length === 1 && second.length === 1, 'notifications');
    off();
    off(); // a second call must not remove the other handler
    server.notify('pool/changed', { reason: 'again', changes: [] });
    await until(() => second.length === 2, 'second notification');
    assert.deepEqual(first, [reloaded]);
    assert.deepEqual(second, [reloaded, { reason: 'again', changes: [] }]);
  });

  it('a notification encoded once (for many clients) arrives as notify would send it, and keeps the direction rule', async () => {
    const { client, server } = pair();
    const got: unknown[] = [];
    client.onNotification('pool/changed', (p) => got.push(p));
    const params = { reason: 'decision', changes: [] };
    server.notifyEncoded('pool/changed', encodeNotification('pool/changed', params));
    await until(() => got.length === 1, 'the encoded notification');
    assert.deepEqual(got, [params]);
    const editor = new JsonRpcPeer(() => {}, { role: 'client' });
    assert.throws(() => editor.notifyEncoded('pool/changed', encodeNotification('pool/changed', params)), /does not send it/);
  });

  it('a throwing notification handler is reported, and the others still run', async () => {
    const { client, server, internalErrors } = pair();
    const got: unknown[] = [];
    client.onNotification('pool/changed', () => {
      throw new Error('boom');
    });
    client.onNotification('pool/changed', (p) => got.push(p));
    server.notify('pool/changed', { reason: 'x', changes: [] });
    await until(() => got.length === 1, 'the second handler');
    assert.equal((internalErrors[0] as Error).message, 'boom');
  });
});

describe('JsonRpcPeer: cancellation, timeouts, close', () => {
  it("client abort: the server handler's signal fires, $/cancelRequest is sent, the caller gets RequestCancelled", async () => {
    const { client, server, fromClient, fromServer } = pair();
    const seen: { ctx?: RequestContext; aborted?: boolean } = {};
    server.handle('shutdown', hangUntilAborted(seen));
    const abort = new AbortController();
    const pending = client.request('shutdown', {}, { signal: abort.signal });
    await until(() => seen.ctx !== undefined, 'the handler to start');
    abort.abort();
    const e = await rejection(pending);
    assert.equal(e.kind, 'RequestCancelled');
    assert.equal(e.code, -32800);
    assert.deepEqual(fromClient.at(-1), { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 1 } });
    await until(() => seen.aborted === true, 'the handler signal');
    // The server still answers the cancelled id (RequestCancelled); the client has forgotten it.
    await until(() => fromServer.length === 1, 'the server answer');
    assert.equal(fromServer[0]!.error?.code, ErrorCodes.RequestCancelled);
    assert.equal((fromServer[0]!.error?.data as { kind: string }).kind, 'RequestCancelled');
  });

  it('the other way: the daemon side cancels a request it made to the client', async () => {
    const { client, server, fromServer } = pair();
    const seen: { ctx?: RequestContext; aborted?: boolean } = {};
    client.handle('shutdown', hangUntilAborted(seen));
    const abort = new AbortController();
    const pending = server.request('shutdown', {}, { signal: abort.signal });
    await until(() => seen.ctx !== undefined, 'the client handler to start');
    abort.abort();
    assert.equal((await rejection(pending)).kind, 'RequestCancelled');
    assert.equal(fromServer.at(-1)?.method, '$/cancelRequest');
    await until(() => seen.aborted === true, 'the client handler signal');
  });

  it('a handler that finishes despite the cancel still answers RequestCancelled, not its result', async () => {
    const { peer, out } = lone();
    let ctxSeen: RequestContext | undefined;
    let finish!: () => void;
    peer.handle('shutdown', (_p, ctx) => {
      ctxSeen = ctx;
      return new Promise<null>((r) => (finish = () => r(null)));
    });
    peer.receive(JSON.stringify({ jsonrpc: '2.0', id: 'q', method: 'shutdown' }));
    await tick();
    peer.receive(JSON.stringify({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 'q' } }));
    assert.equal(ctxSeen?.signal.aborted, true);
    finish();
    await until(() => out.length === 1, 'the answer');
    assert.deepEqual(out[0]!.error, { code: -32800, message: 'shutdown cancelled', data: { kind: 'RequestCancelled' } });
  });

  it('an already aborted signal rejects at once: nothing is sent and no timer is left behind', async () => {
    const { client, fromClient } = pair();
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const e = await rejection(client.request('shutdown', {}, { signal: AbortSignal.abort(), timeoutMs: 60_000, onProgress: () => {} }));
    assert.equal(e.kind, 'RequestCancelled');
    assert.deepEqual(fromClient, []);
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    assert.equal(timersAfter, timersBefore, 'a pre-aborted request must not keep a 60 s timer alive');
  });

  it('timeout: the caller gets Timeout, the peer is sent $/cancelRequest and its handler is aborted', async () => {
    const { client, server, fromClient } = pair();
    const seen: { ctx?: RequestContext; aborted?: boolean } = {};
    server.handle('shutdown', hangUntilAborted(seen));
    const e = await rejection(client.request('shutdown', {}, { timeoutMs: 30 }));
    assert.equal(e.kind, 'Timeout');
    assert.equal(e.code, ErrorCodes.Timeout);
    assert.match(e.message, /no answer to shutdown within 30 ms/);
    assert.deepEqual(fromClient.at(-1), { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 1 } });
    await until(() => seen.aborted === true, 'the handler signal');
  });

  it("the peer's default timeout applies when a request sets none", async () => {
    const { client, server } = pair({ defaultTimeoutMs: 25 });
    server.handle('shutdown', hangUntilAborted({}));
    assert.equal((await rejection(client.request('shutdown', {}))).kind, 'Timeout');
  });

  it('close() rejects everything pending, aborts running handlers, and refuses new requests', async () => {
    const { client, server, fromClient } = pair();
    const seen: { ctx?: RequestContext; aborted?: boolean } = {};
    const seen2: { ctx?: RequestContext; aborted?: boolean } = {};
    server.handle('shutdown', hangUntilAborted(seen));
    server.handle('pool/status', hangUntilAborted(seen2));
    const a = client.request('shutdown', {});
    const b = client.request('pool/status', {});
    await until(() => seen.ctx !== undefined && seen2.ctx !== undefined, 'the handlers');
    client.close('daemon went away');
    for (const p of [a, b]) {
      const e = await rejection(p);
      assert.equal(e.kind, 'ConnectionClosed');
      assert.equal(e.message, 'daemon went away');
    }
    assert.equal(client.isClosed, true);
    const sent = fromClient.length;
    const e = await rejection(client.request('shutdown', {}));
    assert.equal(e.kind, 'ConnectionClosed');
    assert.equal(fromClient.length, sent, 'nothing is written after close');

    server.close();
    assert.equal(seen.aborted && seen2.aborted, true, 'closing the serving side aborts its handlers');
  });
});

describe('JsonRpcPeer: application errors', () => {
  it('a handler throwing an EnsembleError keeps its code, kind, message and data', async () => {
    const { client, server, fromServer, internalErrors } = pair();
    server.handle('shutdown', () => {
      throw new EnsembleError('ModelUnavailable', 'qwen: file not found', { hint: 'set "path"' });
    });
    const e = await rejection(client.request('shutdown', {}));
    assert.equal(e.kind, 'ModelUnavailable');
    assert.equal(e.code, 1001);
    assert.equal(e.message, 'qwen: file not found');
    assert.deepEqual(e.data, { kind: 'ModelUnavailable', hint: 'set "path"' });
    assert.deepEqual(fromServer[0]!.error, {
      code: 1001,
      message: 'qwen: file not found',
      data: { kind: 'ModelUnavailable', hint: 'set "path"' },
    });
    assert.deepEqual(internalErrors, [], 'application errors are not internal errors');
  });

  it('every application kind survives the trip', async () => {
    const { client, server } = pair();
    const kinds = [
      'EnsembleNotFound',
      'ConfigInvalid',
      'NoVotes',
      'BackendError',
      'BackendBusy',
      'Timeout',
      'NotFound',
      'BadInput',
    ] as const;
    let i = 0;
    server.handle('shutdown', () => {
      throw new EnsembleError(kinds[i++]!, 'x');
    });
    for (const kind of kinds) assert.equal((await rejection(client.request('shutdown', {}))).kind, kind);
  });

  it('any other throw is an InternalError (reported locally), an AbortError a RequestCancelled', async () => {
    const { client, server, internalErrors } = pair();
    let mode: 'plain' | 'abort' | 'string' = 'plain';
    server.handle('shutdown', () => {
      if (mode === 'plain') throw new TypeError('x is undefined');
      if (mode === 'abort') throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
      throw 'a string' as unknown as Error;
    });
    const plain = await rejection(client.request('shutdown', {}));
    assert.equal(plain.kind, 'InternalError');
    assert.equal(plain.code, -32603);
    assert.equal(plain.message, 'x is undefined');
    assert.equal((internalErrors[0] as Error).message, 'x is undefined');
    mode = 'abort';
    assert.equal((await rejection(client.request('shutdown', {}))).kind, 'RequestCancelled');
    mode = 'string';
    const s = await rejection(client.request('shutdown', {}));
    assert.equal(s.kind, 'InternalError');
    assert.equal(s.message, 'a string');
  });

  it('an unknown error code from the peer arrives as InternalError with the message', async () => {
    const { peer } = lone();
    const p = peer.request('shutdown', {});
    peer.receive(JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: 4242, message: 'strange' } }));
    const e = await rejection(p);
    assert.equal(e.kind, 'InternalError');
    assert.equal(e.message, 'strange');
  });
});

/**
 * Forged upgrades are refused before the upgrade (missing/wrong token, foreign Origin, foreign
 * Host); oversized, binary and malformed frames get an error while the daemon keeps serving.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ErrorCodes } from '../../protocol/errors';
import { daemonLog, poolConfig, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';
import { until } from '../support/until';

/** Attempts an upgrade with the given headers; resolves to the HTTP status of a refusal, or 101. */
function tryUpgrade(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function open(port: number, token: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { Authorization: `Bearer ${token}` } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<{ id: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } }> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: 1, client: { name: 't', version: '0' } },
});

describe('daemon security', () => {
  let daemon: TestDaemon;
  let port: number;
  let auth: string;
  let host: string;
  let home: string;

  before(async () => {
    home = tempHome();
    writeConfig(home, poolConfig(tinyPool(home)));
    daemon = await startTestDaemon(home);
    port = daemon.info.port;
    auth = `Bearer ${daemon.info.token}`;
    host = `127.0.0.1:${port}`;
  });
  after(async () => {
    await daemon?.stop();
  });

  it('accepts the genuine upgrade (the control case)', async () => {
    assert.equal(await tryUpgrade(port, { Host: host, Authorization: auth }), 101);
    assert.equal(await tryUpgrade(port, { Host: `localhost:${port}`, Authorization: auth }), 101);
  });

  it('refuses a missing token with 401', async () => {
    assert.equal(await tryUpgrade(port, { Host: host }), 401);
  });

  it('refuses a wrong token with 401 (same length and other lengths)', async () => {
    const wrong = daemon.info.token.replace(/./, (c) => (c === 'a' ? 'b' : 'a'));
    assert.equal(await tryUpgrade(port, { Host: host, Authorization: `Bearer ${wrong}` }), 401);
    assert.equal(await tryUpgrade(port, { Host: host, Authorization: 'Bearer x' }), 401);
    assert.equal(await tryUpgrade(port, { Host: host, Authorization: daemon.info.token }), 401);
  });

  it('refuses a foreign Origin with 403 (cross-site WebSocket hijacking)', async () => {
    assert.equal(await tryUpgrade(port, { Host: host, Authorization: auth, Origin: 'https://evil.example' }), 403);
    assert.equal(await tryUpgrade(port, { Host: host, Authorization: auth, Origin: 'null' }), 403);
  });

  it('refuses a foreign Host with 403 (DNS rebinding)', async () => {
    assert.equal(await tryUpgrade(port, { Host: `evil.example:${port}`, Authorization: auth }), 403);
    assert.equal(await tryUpgrade(port, { Host: '127.0.0.1:1', Authorization: auth }), 403);
  });

  it('the HTTP gateway applies the same checks', async () => {
    const get = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/v1/models', headers }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', reject);
      });
    assert.equal(await get({ Host: host }), 401);
    assert.equal(await get({ Host: 'evil.example', Authorization: auth }), 403);
    assert.equal(await get({ Host: host, Authorization: auth }), 200);
  });

  it('answers malformed JSON with a parse error and keeps the connection', async () => {
    const ws = await open(port, daemon.info.token);
    try {
      ws.send('{not json');
      assert.equal((await nextMessage(ws)).error?.code, ErrorCodes.ParseError);
      ws.send(JSON.stringify({ hello: 'world' }));
      assert.equal((await nextMessage(ws)).error?.code, ErrorCodes.InvalidRequest);
      ws.send(Buffer.from([1, 2, 3]), { binary: true });
      assert.equal((await nextMessage(ws)).error?.code, ErrorCodes.InvalidRequest);
      ws.send(INITIALIZE);
      assert.ok((await nextMessage(ws)).result);
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ensemble/classify', params: { text: 42 } }));
      const invalid = await nextMessage(ws);
      assert.equal(invalid.error?.code, ErrorCodes.InvalidParams);
      assert.ok(Array.isArray((invalid.error?.data as { issues?: unknown[] }).issues));
      assert.match(invalid.error!.message, /text/);
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'no/such', params: {} }));
      assert.equal((await nextMessage(ws)).error?.code, ErrorCodes.MethodNotFound);
    } finally {
      ws.close();
    }
  });

  it('refuses requests before initialize', async () => {
    const ws = await open(port, daemon.info.token);
    try {
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'pool/status', params: {} }));
      assert.equal((await nextMessage(ws)).error?.code, ErrorCodes.NotInitialized);
    } finally {
      ws.close();
    }
  });

  it('refuses a notification only the daemon sends ($/log, pool/changed), logging it, and keeps serving', async () => {
    const ws = await open(port, daemon.info.token);
    try {
      const notify = (method: string, params: unknown) => ws.send(JSON.stringify({ jsonrpc: '2.0', method, params }));
      notify('$/log', { level: 'error', message: 'forged by a client', time: new Date(0).toISOString() });
      notify('pool/changed', { reason: 'forged', changes: [] });
      await until('the refusals in the log', async () =>
        /refused a \$\/log notification: it goes from the daemon to the client/.test(daemonLog(home)) &&
        /refused a pool\/changed notification: it goes from the daemon to the client/.test(daemonLog(home))
          ? true
          : undefined,
      );
      assert.doesNotMatch(daemonLog(home), /forged by a client/, 'the forged line never reached the log');
      ws.send(INITIALIZE);
      assert.ok((await nextMessage(ws)).result, 'the connection still serves');
    } finally {
      ws.close();
    }
  });

  it('closes an oversized frame with 1009 and keeps serving others', async () => {
    const ws = await open(port, daemon.info.token);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(1024 * 1024 + 1));
    assert.equal(await closed, 1009);
    const conn = await daemon.connect();
    try {
      const status = await conn.rpc.request('pool/status', {});
      assert.equal(status.pid, daemon.info.pid);
    } finally {
      conn.close();
    }
  });
});

/**
 * The daemon's HTTP listener against slow and greedy clients, as a real process on loopback, with
 * its `LIMITS.http` tightened through `ENSEMBLE_HTTP_LIMITS` so that a test does not wait the
 * production timeouts: a client that sends its headers (or an upgrade's) or its body slowly is cut
 * off with a 408, a WebSocket client that never sends `initialize` is closed, and a socket over the
 * cap is closed on accept while the open ones keep being served.
 * Every wait is on the socket's own 'close' event.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { until } from '../support/until';
import { LABELS, daemonLog, startTestDaemon, tempHome, writeConfig, type TestDaemon } from './harness';
import { RawClient } from './support/rawClient';

const MAX_SOCKETS = 6;
const TIGHT = { maxSockets: MAX_SOCKETS, headersTimeoutMs: 400, requestTimeoutMs: 800, initializeTimeoutMs: 400 };

/** Opens a raw socket, writes `first`, and resolves with everything it received once it closes. */
function rawExchange(port: number, first: string): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('connect', () => socket.write(first));
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNRESET') reject(e); // a reset is one way a refused socket ends
    });
    socket.on('close', () => resolve({ received, closed: true }));
  });
}

async function health(port: number, token: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined; // refused while the listener is full
  }
}

describe('front door: socket cap and request timeouts', { timeout: 120_000 }, () => {
  let home: string;
  let daemon: TestDaemon;

  before(async () => {
    home = tempHome();
    writeConfig(home, {
      models: [{ id: 'm', backend: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'test-model' }],
      ensembles: { default: { members: ['m'], strategy: 'majority', labels: LABELS } },
    });
    daemon = await startTestDaemon(home, { env: { ENSEMBLE_HTTP_LIMITS: JSON.stringify(TIGHT) } });
  });
  after(async () => {
    await daemon?.stop();
  });

  it('a client that sends its headers slowly is cut off with 408', async () => {
    const { received } = await rawExchange(daemon.info.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${daemon.info.port}\r\n`);
    assert.match(received, /^HTTP\/1\.1 408 /, `got ${JSON.stringify(received.slice(0, 80))}`);
  });

  it('a WebSocket upgrade whose headers never end is cut off the same way', async () => {
    const partial =
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${daemon.info.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Authorization: Bearer ${daemon.info.token}\r\n`;
    const { received } = await rawExchange(daemon.info.port, partial);
    assert.match(received, /^HTTP\/1\.1 408 /, `got ${JSON.stringify(received.slice(0, 80))}`);
  });

  it('a WebSocket client that never sends initialize is closed with 1008, naming why', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${daemon.info.port}/`, { headers: { Authorization: `Bearer ${daemon.info.token}` } });
    const closed = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    assert.deepEqual(closed, { code: 1008, reason: 'initialize was not sent in time' });
    assert.match(daemonLog(home), /refused a WebSocket client: no initialize within 400 ms/);
  });

  it('a client that sends a body slowly is cut off with 408 (the whole request has a deadline)', async () => {
    const head =
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${daemon.info.port}\r\nAuthorization: Bearer ${daemon.info.token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`;
    const { received } = await rawExchange(daemon.info.port, head);
    assert.match(received, /^HTTP\/1\.1 408 /, `got ${JSON.stringify(received.slice(0, 80))}`);
  });

  it('a socket over the cap is closed on accept, unanswered, while the open connections keep being served', async () => {
    const clients: RawClient[] = [];
    try {
      for (let i = 0; i < MAX_SOCKETS; i++) clients.push(await RawClient.open(daemon.info.port, daemon.info.token));
      const extra = await rawExchange(daemon.info.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${daemon.info.port}\r\n\r\n`);
      assert.equal(extra.received, '', 'refused before any byte of a reply (a timeout would have sent 408)');
      for (const c of clients) assert.ok((await c.request('pool/status', {})).result, 'an open connection is still served');
      assert.match(daemonLog(home), new RegExp(`refused a connection: ${MAX_SOCKETS} sockets already open`));
      clients.pop()!.close();
      // The freed slot is usable again: a plain gateway request is answered.
      assert.equal(
        await until(
          'a free socket slot',
          async () => ((await health(daemon.info.port, daemon.info.token)) === 200 ? 200 : undefined),
          10_000,
        ),
        200,
      );
    } finally {
      for (const c of clients) c.close();
    }
  });
});

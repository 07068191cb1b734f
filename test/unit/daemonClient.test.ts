/**
 * The client's connection to the daemon (client/daemonClient.ts, client/heartbeat.ts) against a
 * small fake daemon on loopback: a real WebSocket server speaking our JSON-RPC. Each reason the
 * daemon cannot be used is its own error kind, and a daemon that stops answering pings is closed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { DaemonConnection, startDaemon } from '../../client/daemonClient';
import type { DaemonFile } from '../../protocol/daemonFile';
import { JsonRpcPeer } from '../../protocol/jsonrpc';
import { PROTOCOL_VERSION } from '../../protocol/methods';
import { rejectsWith } from '../support/rejectsWith';
import { until } from '../support/until';

const CLIENT = { clientName: 'test', clientVersion: '0' };

interface FakeDaemon {
  info: DaemonFile;
  /** Pings each connection received, in connection order. */
  pings: number[];
  sockets: WebSocket[];
  close(): Promise<void>;
}

/** A fake daemon: answers initialize with `protocolVersion`, never answers pool/status, pongs when `autoPong`. */
async function fakeDaemon(opts: { protocolVersion?: number; autoPong?: boolean; refuse?: number } = {}): Promise<FakeDaemon> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    autoPong: opts.autoPong ?? true,
    verifyClient: (_info, done) => (opts.refuse ? done(false, opts.refuse) : done(true)),
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const pings: number[] = [];
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws) => {
    const index = sockets.push(ws) - 1;
    pings[index] = 0;
    ws.on('ping', () => pings[index]!++);
    const peer = new JsonRpcPeer((text) => ws.send(text));
    peer.handle('initialize', () => ({
      protocolVersion: opts.protocolVersion ?? PROTOCOL_VERSION,
      daemonVersion: 'fake',
      pid: process.pid,
    }));
    peer.handle('pool/status', (_params, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', reject)));
    ws.on('message', (data) => peer.receive(data.toString()));
    ws.on('close', () => peer.close('gone'));
  });
  const port = (wss.address() as net.AddressInfo).port;
  return {
    info: { pid: process.pid, port, token: 't'.repeat(32), protocolVersion: PROTOCOL_VERSION },
    pings,
    sockets,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const fakes: FakeDaemon[] = [];
async function track(fake: Promise<FakeDaemon>): Promise<FakeDaemon> {
  fakes.push(await fake);
  return fakes[fakes.length - 1]!;
}
after(() => Promise.all(fakes.map((f) => f.close())));

describe('DaemonConnection: why a daemon cannot be used', () => {
  it('nothing listening on the port is DaemonNotRunning', async () => {
    const info = { pid: process.pid, port: await freePort(), token: 't'.repeat(32), protocolVersion: PROTOCOL_VERSION };
    await rejectsWith(DaemonConnection.connect(info, CLIENT), 'DaemonNotRunning', /cannot reach the daemon on port/);
  });

  it('a refused WebSocket handshake is HandshakeRefused, with the HTTP status', async () => {
    const fake = await track(fakeDaemon({ refuse: 401 }));
    await rejectsWith(DaemonConnection.connect(fake.info, CLIENT), 'HandshakeRefused', /HTTP 401/);
  });

  it('a daemon of another protocol version is ProtocolMismatch', async () => {
    const fake = await track(fakeDaemon({ protocolVersion: PROTOCOL_VERSION + 1 }));
    await rejectsWith(DaemonConnection.connect(fake.info, CLIENT), 'ProtocolMismatch', /restart the daemon/);
  });

  it('a connection the daemon closes is ConnectionClosed, for requests in flight and later ones', async () => {
    const fake = await track(fakeDaemon());
    const conn = await DaemonConnection.connect(fake.info, CLIENT);
    const closed = new Promise<string>((resolve) => conn.onClose(resolve));
    const inFlight = conn.rpc.request('pool/status', {});
    fake.sockets[0]!.close(1001, 'going away');
    await rejectsWith(inFlight, 'ConnectionClosed', /going away/);
    assert.match(await closed, /1001: going away/);
    await rejectsWith(conn.rpc.request('pool/status', {}), 'ConnectionClosed');
  });

  it('a daemon that exits before it is ready is DaemonStartFailed, quoting its log', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-start-'));
    try {
      const command = [process.execPath, '-e', 'console.log("bad config"); process.exit(3)'];
      await rejectsWith(startDaemon({ home, command }), 'DaemonStartFailed', /exited \(code 3\)[^]*bad config/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('DaemonConnection: heartbeat', { timeout: 60_000 }, () => {
  it('keeps a connection whose daemon answers every ping', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const fake = await track(fakeDaemon());
    const conn = await DaemonConnection.connect(fake.info, { ...CLIENT, heartbeat: { intervalMs: 1_000, maxMissed: 2 } });
    for (let round = 1; round <= 5; round++) {
      t.mock.timers.tick(1_000);
      assert.equal(conn.unansweredPings, 1, 'a ping went out');
      await until('the pong', async () => (conn.unansweredPings === 0 ? true : undefined), 10_000, 5);
    }
    assert.equal(fake.pings[0], 5, 'one ping per interval');
    assert.equal(conn.isOpen, true);
    // Closed before the mocked clock is reset, so its heartbeat stops on the clock that started it.
    const closed = new Promise<string>((resolve) => conn.onClose(resolve));
    conn.close();
    await closed;
  });

  it('closes a connection after the daemon leaves maxMissed pings unanswered, failing what was in flight', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const fake = await track(fakeDaemon({ autoPong: false }));
    const conn = await DaemonConnection.connect(fake.info, { ...CLIENT, heartbeat: { intervalMs: 1_000, maxMissed: 2 } });
    const closed = new Promise<string>((resolve) => conn.onClose(resolve));
    const inFlight = conn.rpc.request('pool/status', {});
    for (let sent = 1; sent <= 2; sent++) {
      t.mock.timers.tick(1_000);
      await until(`ping ${sent} at the daemon`, async () => (fake.pings[0] === sent ? true : undefined), 10_000, 5);
      assert.equal(conn.isOpen, true, 'still open while fewer than maxMissed pings are unanswered');
    }
    t.mock.timers.tick(1_000);
    assert.match(await closed, /answered none of the last 2 pings/);
    await rejectsWith(inFlight, 'ConnectionClosed', /answered none of the last 2 pings/);
    assert.equal(fake.pings[0], 2, 'no ping after the connection was given up');
  });
});

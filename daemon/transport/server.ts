/**
 * The daemon's listener: one HTTP server on 127.0.0.1 (random port) that upgrades authenticated
 * WebSocket connections to JSON-RPC sessions and serves the OpenAI-style HTTP gateway. Every
 * connection passes `checkRequest` (token, Host, Origin) before anything else happens.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ErrorCodes } from '../../protocol/errors';
import { encodeNotification } from '../../protocol/jsonrpc';
import { LIMITS } from '../../protocol/limits';
import { ChangeBroadcast } from '../changeBroadcast';
import { handleGateway } from '../gateway/gateway';
import { applyHttpLimits, connectionsCheckingInterval, httpLimits, type HttpLimits } from './httpLimits';
import type { Logger } from '../process/log';
import type { ChangeHint } from '../pool/changeHint';
import { checkRequest } from './security';
import type { Handlers } from '../handlers/handlers';
import { Session } from './session';

export interface ServerOptions {
  handlers: Handlers;
  logger: Logger;
  token: string;
  allowedOrigins: () => readonly string[];
  requestShutdown: () => void;
  /** 0 = a random free port. */
  port?: number;
  heartbeatIntervalMs?: number;
  /** The listener's socket cap and timeouts; `LIMITS.http` with `ENSEMBLE_HTTP_LIMITS` applied when absent. */
  httpLimits?: HttpLimits;
}

export interface RunningServer {
  port: number;
  /** Sends `pool/changed` to every connected client (coalesced, with what changed). */
  broadcastChange(hint: ChangeHint): void;
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const sessions = new Set<Session>();
  const alive = new WeakMap<WebSocket, boolean>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxPayloadBytes });
  let port = 0;
  const refusals = refusalLog(opts.logger);
  const limits = opts.httpLimits ?? httpLimits();

  const server = http.createServer({ connectionsCheckingInterval: connectionsCheckingInterval(limits) }, (req, res) => {
    const verdict = checkRequest(req.headers, { token: opts.token, port, allowedOrigins: opts.allowedOrigins() });
    if (!verdict.ok) {
      res.writeHead(verdict.status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: verdict.reason,
            type: verdict.status === 401 ? 'authentication_error' : 'permission_error',
            param: null,
            code: verdict.status === 401 ? 'invalid_api_key' : null,
          },
        }),
      );
      return;
    }
    handleGateway(req, res, opts.handlers, opts.logger).catch((e) => {
      opts.logger.error(`gateway: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'internal error', type: 'server_error' } }));
    });
  });
  applyHttpLimits(server, limits);
  // Node closes a socket over `maxConnections` on accept, before any byte is read: say so, briefly.
  server.on('drop', () => refusals.note(`${limits.maxSockets} sockets already open`, 'a connection'));

  server.on('upgrade', (req, socket: Duplex, head) => {
    const verdict = checkRequest(req.headers, { token: opts.token, port, allowedOrigins: opts.allowedOrigins() });
    const full = verdict.ok && wss.clients.size >= LIMITS.maxConnections;
    if (!verdict.ok || (req.url ?? '/') !== '/' || full) {
      const status = !verdict.ok ? verdict.status : full ? 503 : 404;
      const text = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[status];
      // A short summary, never the remote's headers whole (they are the attacker's to choose).
      const why = !verdict.ok
        ? verdict.reason
        : full
          ? `${LIMITS.maxConnections} connections already open`
          : `path ${JSON.stringify((req.url ?? '').slice(0, 60))}`;
      refusals.note(`${status} ${why}`);
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const session = new Session(ws, opts.handlers, opts.logger, opts.requestShutdown);
    sessions.add(session);
    // The JSON-RPC handshake is bounded too: a client that connects and never says `initialize`
    // would hold one of the connection slots forever.
    const handshake = setTimeout(() => {
      if (session.isInitialized) return;
      refusals.note(`no initialize within ${limits.initializeTimeoutMs} ms`, 'a WebSocket client');
      ws.close(1008, 'initialize was not sent in time');
    }, limits.initializeTimeoutMs);
    handshake.unref();
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        session.out.send(
          JSON.stringify({
            jsonrpc: '2.0',
            id: null,
            error: { code: ErrorCodes.InvalidRequest, message: 'binary frames are not accepted: send JSON text' },
          }),
        );
        return;
      }
      session.peer.receive(data.toString());
    });
    ws.on('error', (e) => opts.logger.warn(`client socket: ${e.message}`));
    ws.on('close', () => {
      clearTimeout(handshake);
      session.close();
      sessions.delete(session);
    });
  });

  // Heartbeat: a client that misses a ping round is gone; terminating it frees its requests.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, opts.heartbeatIntervalMs ?? LIMITS.heartbeatIntervalMs);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  const changes = new ChangeBroadcast(
    () => opts.handlers.broadcastStatus(),
    () => sessions.size > 0,
    (params) => {
      // Serialized once for every client: the status rows are the same for all of them.
      const text = encodeNotification('pool/changed', params);
      for (const s of sessions) s.peer.notifyEncoded('pool/changed', text);
    },
    opts.logger,
  );

  return {
    port,
    broadcastChange: (hint) => changes.note(hint),
    async close() {
      changes.stop();
      refusals.stop();
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.close(1001, 'daemon shutting down');
      for (const s of sessions) s.close();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Refused upgrades and connections, logged as short summaries and at most a few a minute: someone probing the port
 * must not be able to fill the log.
 */
function refusalLog(logger: Logger, perMinute = 5) {
  let shown = 0;
  let suppressed = 0;
  const timer = setInterval(() => {
    if (suppressed > 0) logger.warn(`refused ${suppressed} more connections or WebSocket upgrades in the last minute`);
    shown = 0;
    suppressed = 0;
  }, 60_000);
  timer.unref();
  return {
    note(summary: string, what = 'a WebSocket upgrade') {
      if (shown++ < perMinute) logger.warn(`refused ${what}: ${summary.slice(0, 200)}`);
      else suppressed++;
    },
    stop: () => clearInterval(timer),
  };
}

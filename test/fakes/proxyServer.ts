/**
 * A forward proxy on 127.0.0.1, port 0, like a corporate one: CONNECT tunnels (what clients use for
 * https:// targets, and undici for every target through a ProxyAgent) and plain absolute-form
 * requests (`GET http://host/path`). It counts both, so a test can tell whether a download went
 * through it. Loopback targets only: it is a test fixture, not a relay.
 */
import http from 'node:http';
import net from 'node:net';

export interface FakeProxy {
  url: string;
  /** CONNECT tunnels opened, and plain requests forwarded. */
  tunnels: number;
  forwarded: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export async function startFakeProxy(): Promise<FakeProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: FakeProxy = { url: '', tunnels: 0, forwarded: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request expected');
      return;
    }
    if (!LOOPBACK.has(target.hostname)) {
      res.writeHead(403).end('loopback targets only');
      return;
    }
    proxy.forwarded++;
    const upstream = http.request(target, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host, port] = (req.url ?? '').split(/:(?=\d+$)/);
    if (!host || !port || !LOOPBACK.has(host)) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    proxy.tunnels++;
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}

/** A loopback HTTP server (127.0.0.1, port 0) serving one file at any path, counting the requests it answered. */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileServer {
  origin: string;
  /** Requests served so far. */
  served: number;
  close(): Promise<void>;
}

export async function startFileServer(file: string): Promise<FileServer> {
  const state: FileServer = { origin: '', served: 0, close: async () => undefined };
  const server = http.createServer((_req, res) => {
    state.served++;
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

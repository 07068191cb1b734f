/**
 * A loopback HTTP server (127.0.0.1, port 0) serving one file at any path, counting the requests it
 * answered and the Range headers it saw (`bytes=N-` answered 206 from N). With `chunkBytes`, it
 * sends the body in chunks of that size, each one only when the test calls `release()`: a download
 * the test can watch at any point, without sleeps.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileServer {
  origin: string;
  /** Requests served so far. */
  served: number;
  /** Range headers of the requests, in order (undefined: a whole-file request). */
  ranges: Array<string | undefined>;
  /** Gated mode: lets `chunks` more chunks go out (to whichever responses are waiting). */
  release(chunks?: number): void;
  /** Gated mode: lets everything go out from now on. */
  releaseAll(): void;
  close(): Promise<void>;
}

export async function startFileServer(file: string, opts: { chunkBytes?: number } = {}): Promise<FileServer> {
  let credits = 0;
  let open = opts.chunkBytes === undefined;
  const waiting = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiting]) w();
  };
  const state: FileServer = {
    origin: '',
    served: 0,
    ranges: [],
    release(chunks = 1) {
      credits += chunks;
      wake();
    },
    releaseAll() {
      open = true;
      wake();
    },
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    state.served++;
    state.ranges.push(req.headers.range);
    const body = fs.readFileSync(file);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Math.min(Number(m[1]), body.length) : 0;
    const rest = body.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': rest.length,
      'content-type': 'application/octet-stream',
      ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (opts.chunkBytes === undefined) return void res.end(rest);
    let offset = 0;
    const pump = (): void => {
      while (offset < rest.length && (open || credits > 0)) {
        if (!open) credits--;
        res.write(rest.subarray(offset, offset + opts.chunkBytes!));
        offset += opts.chunkBytes!;
      }
      if (offset >= rest.length) {
        waiting.delete(pump);
        res.end();
      }
    };
    waiting.add(pump);
    res.on('close', () => waiting.delete(pump));
    pump();
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

/**
 * Fetch on first use, against a real HTTP server on loopback serving a generated GGUF: the daemon
 * downloads into ENSEMBLE_HOME/models, checks the sha256, loads and serves; a wrong sha256 is
 * refused and the half-written file never looks like a model.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fetchModel } from '../../daemon/pool/modelFetch';
import { EnsembleError } from '../../protocol/errors';
import { until } from '../support/until';
import { LABELS, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';

describe('models fetched on first use', () => {
  let home: string;
  let server: http.Server;
  let origin: string;
  let file: string;
  let sha: string;
  let daemon: TestDaemon | undefined;
  /** Range headers the resumable endpoints saw, in order. */
  const ranges: Array<string | undefined> = [];
  let flakyDrops = 0;

  /**
   * Serves the file with HTTP Range support. /flaky.gguf drops the connection halfway through
   * the first `flakyDrops` responses; /stall.gguf sends half and then nothing (for cancellation).
   */
  function serveRanged(req: http.IncomingMessage, res: http.ServerResponse): void {
    const body = fs.readFileSync(file);
    ranges.push(req.headers.range);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const rest = body.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': rest.length,
      ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    const half = Math.floor(rest.length / 2);
    if (req.url === '/stall.gguf' && !m) {
      res.write(rest.subarray(0, half)); // and never the rest
      return;
    }
    if (flakyDrops > 0) {
      flakyDrops--;
      res.write(rest.subarray(0, half), () => res.destroy());
      return;
    }
    res.end(rest);
  }

  before(async () => {
    home = tempHome();
    file = tinyPool(path.join(home, 'src'))[0]!.path;
    sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    server = http.createServer((req, res) => {
      if (req.url === '/flaky.gguf' || req.url === '/stall.gguf') return serveRanged(req, res);
      if (req.url === '/redirect.gguf') {
        res.writeHead(302, { location: '/m.gguf' }).end();
        return;
      }
      if (req.url !== '/m.gguf') {
        res.writeHead(404).end();
        return;
      }
      const body = fs.readFileSync(file);
      res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await daemon?.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('downloads with progress, following redirects, and checks the sha256', async () => {
    const dest = path.join(home, 'direct', 'm.gguf');
    const seen: number[] = [];
    await fetchModel(`${origin}/redirect.gguf`, dest, { sha256: sha, onProgress: (p) => seen.push(p.receivedBytes) });
    assert.equal(fs.statSync(dest).size, fs.statSync(file).size);
    assert.equal(seen.at(-1), fs.statSync(file).size);
  });

  it('refuses a download whose sha256 differs and leaves no file behind', async () => {
    const dest = path.join(home, 'direct', 'bad.gguf');
    await assert.rejects(
      fetchModel(`${origin}/m.gguf`, dest, { sha256: '0'.repeat(64) }),
      (e: unknown) => e instanceof EnsembleError && /sha256/.test(e.message),
    );
    assert.equal(fs.existsSync(dest), false);
    assert.equal(fs.existsSync(`${dest}.part`), false);
  });

  it('resumes with an HTTP Range request after the connection drops mid-file, retrying with backoff', async () => {
    const dest = path.join(home, 'resume', 'm.gguf');
    ranges.length = 0;
    flakyDrops = 2;
    await fetchModel(`${origin}/flaky.gguf`, dest, { sha256: sha, retryBaseMs: 10 });
    assert.equal(fs.statSync(dest).size, fs.statSync(file).size);
    assert.equal(ranges.length, 3, 'two dropped attempts, then the rest');
    assert.equal(ranges[0], undefined);
    const size = fs.statSync(file).size;
    const first = Math.floor(size / 2);
    assert.equal(ranges[1], `bytes=${first}-`, 'continues where the first attempt stopped');
    assert.equal(ranges[2], `bytes=${first + Math.floor((size - first) / 2)}-`);
    assert.equal(fs.existsSync(`${dest}.part`), false);
  });

  it('gives up after its retries with the cause, and the next fetch resumes from what it has', async () => {
    const dest = path.join(home, 'giveup', 'm.gguf');
    ranges.length = 0;
    flakyDrops = 3;
    await assert.rejects(
      fetchModel(`${origin}/flaky.gguf`, dest, { retries: 1, retryBaseMs: 10 }),
      (e: unknown) =>
        e instanceof EnsembleError && e.kind === 'ModelUnavailable' && /connection dropped at \d+ bytes.*after 2 attempts/.test(e.message),
    );
    assert.ok(fs.statSync(`${dest}.part`).size > 0, 'the partial file is kept');
    flakyDrops = 0;
    await fetchModel(`${origin}/flaky.gguf`, dest, { sha256: sha });
    assert.match(ranges.at(-1) ?? '', /^bytes=\d+-$/);
    assert.equal(fs.statSync(dest).size, fs.statSync(file).size);
  });

  it('cancellation stops a download at once and keeps the partial file', async () => {
    const dest = path.join(home, 'cancel', 'm.gguf');
    const controller = new AbortController();
    const fetching = fetchModel(`${origin}/stall.gguf`, dest, { signal: controller.signal, onProgress: () => controller.abort() });
    await assert.rejects(fetching, (e: unknown) => e instanceof EnsembleError && e.kind === 'RequestCancelled');
    assert.ok(fs.existsSync(`${dest}.part`));
    assert.equal(fs.existsSync(dest), false);
  });

  it('offline: an unresolvable host is said to be so, at once (no retries)', async () => {
    // Counted, not timed: a retried failure says "(after N attempts)"; this one must not.
    await assert.rejects(
      fetchModel('http://ensemble-offline-test.invalid/m.gguf', path.join(home, 'off.gguf'), { retryBaseMs: 5_000 }),
      (e: unknown) =>
        e instanceof EnsembleError &&
        /cannot download http:\/\/ensemble-offline-test\.invalid\/m\.gguf: the host cannot be resolved: this machine seems to be offline/.test(
          e.message,
        ) &&
        !/attempts/.test(e.message),
    );
  });

  it('a 404 is a clear ModelUnavailable', async () => {
    await assert.rejects(
      fetchModel(`${origin}/missing.gguf`, path.join(home, 'x.gguf'), {}),
      (e: unknown) => e instanceof EnsembleError && e.kind === 'ModelUnavailable' && /HTTP 404/.test(e.message),
    );
  });

  it('the daemon fetches a configured model into ENSEMBLE_HOME/models and serves it', async () => {
    writeConfig(home, {
      models: [
        { id: 'fetched', backend: 'llama.cpp', path: 'fetched.gguf', url: `${origin}/m.gguf`, sha256: sha, threads: 1, contextSize: 256 },
      ],
      ensembles: { default: { members: ['fetched'], labels: LABELS } },
    });
    daemon = await startTestDaemon(home);
    const conn = await daemon.connect();
    try {
      await until('the fetched model to be ready', async () =>
        (await conn.rpc.request('pool/status', {})).models[0]!.state === 'ready' ? true : undefined,
      );
      assert.ok(fs.existsSync(path.join(home, 'models', 'fetched.gguf')));
      const d = await conn.rpc.request('ensemble/classify', { text: 'it crashes' });
      assert.equal(d.label, 'bug');
      assert.equal(d.votes[0]!.confidenceSource, 'logprobs');
    } finally {
      conn.close();
    }
  });
});

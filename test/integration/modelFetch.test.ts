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
import { LABELS, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';

describe('models fetched on first use', () => {
  let home: string;
  let server: http.Server;
  let origin: string;
  let file: string;
  let sha: string;
  let daemon: TestDaemon | undefined;

  before(async () => {
    home = tempHome();
    file = tinyPool(path.join(home, 'src'))[0]!.path;
    sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    server = http.createServer((req, res) => {
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
    await assert.rejects(fetchModel(`${origin}/m.gguf`, dest, { sha256: '0'.repeat(64) }), (e: unknown) => e instanceof EnsembleError && /sha256/.test(e.message));
    assert.equal(fs.existsSync(dest), false);
    assert.equal(fs.existsSync(`${dest}.part`), false);
  });

  it('a 404 is a clear ModelUnavailable', async () => {
    await assert.rejects(fetchModel(`${origin}/missing.gguf`, path.join(home, 'x.gguf'), {}), (e: unknown) => e instanceof EnsembleError && e.kind === 'ModelUnavailable' && /HTTP 404/.test(e.message));
  });

  it('the daemon fetches a configured model into ENSEMBLE_HOME/models and serves it', async () => {
    writeConfig(home, {
      models: [{ id: 'fetched', backend: 'llama.cpp', path: 'fetched.gguf', url: `${origin}/m.gguf`, sha256: sha, threads: 1, contextSize: 256 }],
      ensembles: { default: { members: ['fetched'], labels: LABELS } },
    });
    daemon = await startTestDaemon(home);
    const conn = await daemon.connect();
    try {
      let state = '';
      for (let i = 0; i < 100 && state !== 'ready'; i++) {
        state = (await conn.rpc.request('pool/status', {})).models[0]!.state;
        if (state !== 'ready') await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(state, 'ready');
      assert.ok(fs.existsSync(path.join(home, 'models', 'fetched.gguf')));
      const d = await conn.rpc.request('ensemble/classify', { text: 'it crashes' });
      assert.equal(d.label, 'bug');
      assert.equal(d.votes[0]!.confidenceSource, 'logprobs');
    } finally {
      conn.close();
    }
  });
});

/**
 * Model downloads in the editor: before a download the extension asks (size and folder named),
 * `Ensemble: Download Models` starts it with a progress notification (percent, bytes, speed), the
 * status bar counts it apart from ready models, and Cancel stops it keeping the partial file. The
 * model is served by a loopback server that sends each chunk only when this test releases it.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { ensembleHome } from '../../common/node/home';
import { startFileServer } from '../fakes/fileServer';
import { writeClassifierPool } from '../fixtures/gguf/models';
import { api, daemonConnection, waitFor } from './helpers';

describe('model downloads', () => {
  it('asks before downloading, shows progress, and Cancel keeps the partial file', async () => {
    const ensemble = await api();
    const conn = await daemonConnection();
    const configPath = path.join(ensembleHome(), 'config.json');
    const original = fs.readFileSync(configPath, 'utf8');
    const file = writeClassifierPool(fs.mkdtempSync(path.join(os.tmpdir(), 'dl-src-')), { labels: ['bug', 'feature'], favors: ['bug'] })[0]!
      .path;
    const size = fs.statSync(file).size;
    const server = await startFileServer(file, { chunkBytes: Math.ceil(size / 50) });
    try {
      // The runner started this daemon itself; from here on its downloads wait for approval, as in the extension's own daemon.
      await conn.rpc.request('pool/cancelDownload', {});
      const config = JSON.parse(original) as { models: unknown[] };
      const sha256 = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      config.models.push({
        id: 'fetched',
        backend: 'llama.cpp',
        path: 'fetched.gguf',
        url: `${server.origin}/m.gguf`,
        sha256,
        sizeBytes: size,
        threads: 1,
        contextSize: 256,
      });
      fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
      await conn.rpc.request('config/reload', {});

      const prompt = await waitFor('the first-run prompt', () => ensemble.downloadEvents().find((e) => e.startsWith('prompt: ')));
      assert.match(prompt, /download 1 model \(.+\) into .+models before it can answer/);
      assert.equal(server.served, 0, 'nothing downloads before the user says so');
      await waitFor('the status bar to count the waiting download', () => ensemble.statusBarText().includes('1 to download'));

      await vscode.commands.executeCommand('ensemble.downloadModels');
      server.release(5);
      const progress = await waitFor('a progress report', () =>
        ensemble.downloadEvents().find((e) => /^progress: \d+% — .+ of .+\(fetched\)$/.test(e)),
      );
      assert.ok(progress);
      await waitFor('the status bar to show the download', () => /, 1 downloading \d+%/.test(ensemble.statusBarText()));

      assert.deepEqual(await ensemble.cancelDownloads(), ['fetched']);
      await waitFor('the download to wait again', async () => {
        const m = (await conn.rpc.request('pool/status', {})).models.find((x) => x.id === 'fetched');
        return m?.download?.awaitingApproval === true;
      });
      const part = path.join(ensembleHome(), 'models', 'fetched.gguf.part');
      assert.ok(fs.existsSync(part) && fs.statSync(part).size > 0, 'the partial file is kept for resuming');
      await waitFor('the progress notification to close', () => ensemble.downloadEvents().includes('done'));
    } finally {
      fs.writeFileSync(configPath, original);
      await conn.rpc.request('config/reload', {});
      server.releaseAll();
      await server.close();
      conn.close();
    }
  });
});

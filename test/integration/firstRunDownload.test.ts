/**
 * A first run that tells the truth about its download: a daemon started with ENSEMBLE_DOWNLOADS=ask
 * (as the VS Code extension starts it) fetches nothing until `pool/download`; status and
 * `pool/changed` report each model's download (bytes so far, total); a request during the download
 * is told `ModelDownloading` with the percent, not left to time out; `pool/cancelDownload` stops it
 * and keeps the partial file, which the next approval resumes. The file server sends its chunks
 * only when the test releases them, so every state is observed, not raced.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DaemonConnection, startDaemon } from '../../client/daemonClient';
import type { ModelStatus } from '../../protocol/methods';
import { startFileServer, type FileServer } from '../fakes/fileServer';
import { until } from '../support/until';
import { cliPath, LABELS, runCli, tempHome, tinyPool, writeConfig } from './harness';

describe('first run: downloads wait for approval and report progress', () => {
  let home: string;
  let server: FileServer;
  let size: number;
  let conn: DaemonConnection;
  let pid: number;
  const changes: string[] = [];

  before(async () => {
    home = tempHome('first-run-');
    const file = tinyPool(path.join(home, 'src'))[0]!.path;
    size = fs.statSync(file).size;
    const sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    server = await startFileServer(file, { chunkBytes: Math.ceil(size / 20) });
    writeConfig(home, {
      models: [
        {
          id: 'm',
          backend: 'llama.cpp',
          path: 'm.gguf',
          url: `${server.origin}/m.gguf`,
          sha256: sha,
          sizeBytes: size,
          threads: 1,
          contextSize: 256,
        },
      ],
      ensembles: { default: { members: ['m'], labels: LABELS } },
    });
    const info = await startDaemon({
      home,
      command: [process.execPath, cliPath, 'daemon'],
      env: { ENSEMBLE_DOWNLOADS: 'ask' },
      timeoutMs: 30_000,
    });
    pid = info.pid;
    conn = await DaemonConnection.connect(info, { clientName: 'test', clientVersion: '0' });
    conn.rpc.onNotification('pool/changed', (p) => changes.push(p.reason));
  });
  after(async () => {
    conn.close();
    process.kill(pid, 'SIGTERM');
    server.releaseAll();
    await server.close();
  });

  const model = async (): Promise<ModelStatus> => (await conn.rpc.request('pool/status', {})).models[0]!;
  const classifyError = async () =>
    conn.rpc.request('ensemble/classify', { text: 'it crashes' }).then(
      () => assert.fail('expected ModelDownloading'),
      (e: { kind?: string; message: string; data?: { percent?: number | null; awaitingApproval?: boolean } }) => e,
    );

  it('fetches nothing before approval; status names the size and the folder; a request is told so', async () => {
    const m = await until('the model to wait for approval', async () => {
      const s = await model();
      return s.download?.awaitingApproval ? s : undefined;
    });
    assert.equal(m.state, 'idle');
    assert.deepEqual(m.download, { receivedBytes: 0, totalBytes: size, awaitingApproval: true, path: path.join(home, 'models', 'm.gguf') });
    assert.match(m.reason ?? '', new RegExp(`waiting for approval to download .* into ${path.join(home, 'models')}`));
    const e = await classifyError();
    assert.equal(e.kind, 'ModelDownloading');
    assert.match(e.message, /not downloaded yet/);
    assert.equal(server.served, 0, 'nothing was fetched');
  });

  it('after approval the download reports its progress, and a request during it gets the percent', async () => {
    const { started } = await conn.rpc.request('pool/download', {});
    assert.deepEqual(started, ['m']);
    server.release(2);
    const m = await until('bytes to arrive', async () => {
      const s = await model();
      return s.state === 'downloading' && (s.download?.receivedBytes ?? 0) > 0 ? s : undefined;
    });
    assert.ok(m.download!.receivedBytes < size, 'still downloading: the rest is held back');
    assert.equal(m.download!.awaitingApproval, false);
    const e = await classifyError();
    assert.equal(e.kind, 'ModelDownloading');
    assert.match(e.message, /m: downloading \d+% \(/);
    assert.ok(
      changes.some((r) => r === 'model m downloading'),
      'pool/changed told clients about the progress',
    );
  });

  it('cancel stops the download and keeps the partial file; approving again (ensemble pool download) resumes it with a Range request', async () => {
    const { cancelled } = await conn.rpc.request('pool/cancelDownload', {});
    assert.deepEqual(cancelled, ['m']);
    const m = await until('the download to wait again', async () => {
      const s = await model();
      return s.download?.awaitingApproval ? s : undefined;
    });
    assert.match(m.reason ?? '', /download cancelled at .*partial file is kept/);
    const part = path.join(home, 'models', 'm.gguf.part');
    assert.ok(fs.existsSync(part) && fs.statSync(part).size > 0, 'the .part is kept');
    server.releaseAll();
    const cli = await runCli(home, ['pool', 'download']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /^downloading m /);
    await until('the model to be ready', async () => ((await model()).state === 'ready' ? true : undefined));
    assert.match(server.ranges.at(-1) ?? '', /^bytes=\d+-$/, 'resumed from the partial file');
    const d = await conn.rpc.request('ensemble/classify', { text: 'it crashes' });
    assert.equal(d.label, 'bug');
    assert.equal((await model()).download, undefined);
  });
});

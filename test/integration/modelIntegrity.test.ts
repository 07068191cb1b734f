/**
 * A pinned sha256 is checked on the first load of a file already on disk, not only while
 * downloading: cached by (size, mtime) in the home's integrity.json so an unchanged file is not
 * read again; a mismatch makes the model unavailable with both digests, is not re-downloaded, and
 * is not re-hashed on every request. A plain http:// url without sha256 is refused by the config.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkPinnedFile } from '../../daemon/pool/fileIntegrity';
import { LlamaCppModel } from '../../protocol/config';
import { startFileServer, type FileServer } from '../fakes/fileServer';
import { until } from '../support/until';
import { daemonLog, LABELS, startTestDaemon, tempHome, tinyPool, writeConfig, type TestDaemon } from './harness';

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const checkedLines = (home: string) =>
  daemonLog(home)
    .split('\n')
    .filter((l) => /sha256 of .* checked/.test(l)).length;

describe('integrity of model files on load', () => {
  let home: string;
  let file: string;
  let sha: string;
  let server: FileServer;
  let daemon: TestDaemon | undefined;

  before(async () => {
    home = tempHome('integrity-');
    file = tinyPool(path.join(home, 'src'))[0]!.path;
    sha = sha256(file);
    server = await startFileServer(file);
  });
  after(async () => {
    await daemon?.stop();
    await server.close();
  });

  it('hashes a file once, answers from the (size, mtime) cache after, and hashes again when the file changes', async () => {
    const copy = path.join(home, 'copy.gguf');
    fs.copyFileSync(file, copy);
    const cache = path.join(home, 'cache', 'integrity.json');
    assert.deepEqual(await checkPinnedFile(copy, sha, cache), { ok: true, actual: sha, hashed: true });
    assert.deepEqual(await checkPinnedFile(copy, sha, cache), { ok: true, actual: sha, hashed: false }, 'unchanged: not read again');
    fs.appendFileSync(copy, Buffer.from([0]));
    const changed = await checkPinnedFile(copy, sha, cache);
    assert.equal(changed.hashed, true, 'a changed size is hashed again');
    assert.equal(changed.ok, false);
    assert.notEqual(changed.actual, sha);
    fs.writeFileSync(cache, '{"files": "not a map"}');
    assert.equal((await checkPinnedFile(copy, sha, cache)).hashed, true, 'an unreadable cache is ignored, not trusted');
  });

  it('the daemon refuses an existing file whose sha256 differs: unavailable with both digests, no download, hashed once', async () => {
    const daemonHome = tempHome('integrity-daemon-');
    const modelPath = path.join(daemonHome, 'models', 'pinned.gguf');
    fs.mkdirSync(path.dirname(modelPath), { recursive: true });
    fs.copyFileSync(file, modelPath);
    const wrong = 'a'.repeat(64);
    writeConfig(daemonHome, {
      models: [
        {
          id: 'pinned',
          backend: 'llama.cpp',
          path: 'pinned.gguf',
          url: `${server.origin}/m.gguf`,
          sha256: wrong,
          threads: 1,
          contextSize: 256,
        },
      ],
      ensembles: { default: { members: ['pinned'], labels: LABELS } },
    });
    daemon = await startTestDaemon(daemonHome);
    const conn = await daemon.connect();
    try {
      const status = await until('the pinned model to be refused', async () => {
        const m = (await conn.rpc.request('pool/status', {})).models[0]!;
        return m.state === 'unavailable' ? m : undefined;
      });
      assert.match(status.reason ?? '', new RegExp(`has sha256 ${sha}, but the config pins ${wrong}`));
      assert.match(status.hint ?? '', /delete the file to download it again, or correct "sha256"/);
      for (let i = 0; i < 3; i++) {
        await assert.rejects(conn.rpc.request('ensemble/classify', { text: 'it crashes' }), /has sha256 .* but the config pins/);
      }
      assert.equal(server.served, 0, 'the file is not downloaded again');
      assert.ok(fs.existsSync(modelPath), "the user's file is kept");
      assert.equal(checkedLines(daemonHome), 1, 'hashed once, not on every request');
    } finally {
      conn.close();
      await daemon.stop();
      daemon = undefined;
    }
  });

  it('a matching file loads, and the next daemon start trusts the cache instead of reading it again', async () => {
    const daemonHome = tempHome('integrity-daemon-');
    const modelPath = path.join(daemonHome, 'models', 'pinned.gguf');
    fs.mkdirSync(path.dirname(modelPath), { recursive: true });
    fs.copyFileSync(file, modelPath);
    writeConfig(daemonHome, {
      models: [{ id: 'pinned', backend: 'llama.cpp', path: 'pinned.gguf', sha256: sha, threads: 1, contextSize: 256 }],
      ensembles: { default: { members: ['pinned'], labels: LABELS } },
    });
    for (const run of [1, 2]) {
      daemon = await startTestDaemon(daemonHome);
      const conn = await daemon.connect();
      try {
        const d = await conn.rpc.request('ensemble/classify', { text: 'it crashes' });
        assert.equal(d.label, 'bug');
        assert.equal(checkedLines(daemonHome), 1, `run ${run}: the file was hashed once in all`);
      } finally {
        conn.close();
        await daemon.stop();
        daemon = undefined;
      }
    }
    const cache = JSON.parse(fs.readFileSync(path.join(daemonHome, 'integrity.json'), 'utf8')) as {
      files: Record<string, { sha256: string }>;
    };
    assert.equal(cache.files[modelPath]?.sha256, sha);
  });

  it('refuses a plain http:// url without sha256 (naming the risk); https, loopback, or a pinned sha256 are accepted', () => {
    const entry = (url: string, extra: object = {}) => LlamaCppModel.safeParse({ id: 'm', backend: 'llama.cpp', url, ...extra });
    const refused = entry('http://models.example.com/m.gguf');
    assert.equal(refused.success, false);
    assert.match(refused.error!.issues[0]!.message, /http:\/\/ url without "sha256" is refused: anyone on the network path could replace/);
    assert.deepEqual(refused.error!.issues[0]!.path, ['url']);
    assert.ok(entry('http://models.example.com/m.gguf', { sha256: sha }).success);
    assert.ok(entry('https://models.example.com/m.gguf').success);
    assert.ok(entry('http://127.0.0.1:8080/m.gguf').success);
    assert.ok(entry('http://localhost:8080/m.gguf').success);
  });
});

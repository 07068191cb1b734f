/**
 * Downloads through a proxy: model files and the GPU runtime go through HTTP_PROXY/HTTPS_PROXY
 * (a loopback forward proxy that counts what passes: test/fakes/proxyServer.ts), NO_PROXY
 * bypasses it, and the daemon started with the proxy in its environment (what the extension does
 * with VS Code's `http.proxy`) fetches its configured model through it.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DaemonConnection, startDaemon } from '../../client/daemonClient';
import { downloadDispatcher } from '../../daemon/net/downloadAgent';
import { fetchModel } from '../../daemon/pool/modelFetch';
import { installRuntimePackage } from '../../daemon/runtime/gpuInstall';
import { nodeLlamaCppLocation } from '../../daemon/runtime/gpuSetup';
import { startFakeRegistry, type FakeRegistry } from '../fakes/npmRegistry';
import { startFakeProxy, type FakeProxy } from '../fakes/proxyServer';
import { startFileServer, type FileServer } from '../fakes/fileServer';
import { until } from '../support/until';
import { cliPath, LABELS, tempHome, tinyPool, writeConfig } from './harness';

describe('downloads through a proxy', () => {
  let home: string;
  let server: FileServer;
  let origin: string;
  let file: string;
  let sha: string;
  let proxy: FakeProxy;
  let registry: FakeRegistry;

  before(async () => {
    home = tempHome('proxy-');
    file = tinyPool(path.join(home, 'src'))[0]!.path;
    sha = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    server = await startFileServer(file);
    origin = server.origin;
    proxy = await startFakeProxy();
    registry = await startFakeRegistry('@node-llama-cpp/linux-x64-cuda', nodeLlamaCppLocation().version);
  });
  after(async () => {
    await server.close();
    await proxy.close();
    await registry.close();
  });

  const throughProxy = () => proxy.tunnels + proxy.forwarded;

  it('a model download goes through HTTP_PROXY', async () => {
    const before = throughProxy();
    const dest = path.join(home, 'via-proxy', 'm.gguf');
    await fetchModel(`${origin}/m.gguf`, dest, { sha256: sha, dispatcher: downloadDispatcher({ HTTP_PROXY: proxy.url }) });
    assert.ok(throughProxy() > before, 'the proxy carried the download');
    assert.ok(fs.existsSync(dest));
  });

  it('NO_PROXY bypasses the proxy for the hosts it names', async () => {
    const before = throughProxy();
    const servedBefore = server.served;
    const dest = path.join(home, 'direct', 'm.gguf');
    await fetchModel(`${origin}/m.gguf`, dest, {
      sha256: sha,
      dispatcher: downloadDispatcher({ http_proxy: proxy.url, NO_PROXY: 'example.com,127.0.0.1' }),
    });
    assert.equal(throughProxy(), before, 'nothing went through the proxy');
    assert.equal(server.served, servedBefore + 1, 'the file server was asked directly');
  });

  it('the GPU runtime install goes through the proxy too', async () => {
    const before = throughProxy();
    await installRuntimePackage({
      home: tempHome('proxy-gpu-'),
      packageName: '@node-llama-cpp/linux-x64-cuda',
      version: nodeLlamaCppLocation().version,
      registry: registry.url,
      dispatcher: downloadDispatcher({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url }),
    });
    assert.ok(throughProxy() >= before + 2, 'packument and tarball both went through the proxy');
  });

  it('the daemon, started with the proxy in its environment, fetches its configured model through it', async () => {
    const daemonHome = tempHome('proxy-daemon-');
    writeConfig(daemonHome, {
      models: [
        { id: 'fetched', backend: 'llama.cpp', path: 'fetched.gguf', url: `${origin}/m.gguf`, sha256: sha, threads: 1, contextSize: 256 },
      ],
      ensembles: { default: { members: ['fetched'], labels: LABELS } },
    });
    const before = throughProxy();
    const info = await startDaemon({
      home: daemonHome,
      command: [process.execPath, cliPath, 'daemon'],
      env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: '', http_proxy: '', https_proxy: '', no_proxy: '' },
      timeoutMs: 30_000,
    });
    const conn = await DaemonConnection.connect(info, { clientName: 'test', clientVersion: '0' });
    try {
      const state = await until('the fetched model to be ready', async () => {
        const s = (await conn.rpc.request('pool/status', {})).models[0]!.state;
        return s === 'ready' ? s : undefined;
      });
      assert.equal(state, 'ready');
      assert.ok(throughProxy() > before, 'the daemon downloaded through the proxy');
    } finally {
      conn.close();
      process.kill(info.pid, 'SIGTERM');
    }
  });
});

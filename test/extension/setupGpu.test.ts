/**
 * `Ensemble: Set Up GPU` from the editor: the bundled CLI, run with PATH emptied (no npm, node or
 * `ensemble` to find), downloads the runtime package from a loopback npm registry serving a real
 * tarball, verifies it and records it in the ensemble home; "CPU only" then records the CPU.
 * The load check is skipped: the tarball's binary is a dummy (this machine has no GPU).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { ensembleHome } from '../../common/node/home';
import type { Outcome } from '../../extension/context';
import { startFakeRegistry } from '../fakes/npmRegistry';
import { packageJson } from './helpers';

describe('GPU setup', () => {
  it('installs the runtime from the registry without npm or node on PATH, then goes back to the CPU', async function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') return this.skip(); // the package name below is linux-x64's
    this.timeout(60_000);
    const version = (packageJson().dependencies as Record<string, string>)['node-llama-cpp']!;
    const registry = await startFakeRegistry('@node-llama-cpp/linux-x64-cuda', version);
    const runtimeFile = path.join(ensembleHome(), 'runtime.json');
    const saved = { registry: process.env.npm_config_registry, path: process.env.PATH };
    process.env.npm_config_registry = registry.url;
    process.env.PATH = '';
    try {
      const installed = await vscode.commands.executeCommand<Outcome<{ gpu: string }>>('ensemble.setupGpu', {
        runtime: 'cuda',
        skipLoadCheck: true,
      });
      assert.ok(installed.ok, installed.ok ? '' : installed.message);
      const choice = JSON.parse(fs.readFileSync(runtimeFile, 'utf8')) as { gpu: string; package: { dir: string; integrity: string } };
      assert.equal(choice.gpu, 'cuda');
      assert.equal(choice.package.integrity, registry.integrity);
      assert.ok(fs.existsSync(path.join(choice.package.dir, 'package.json')));
      assert.ok(
        choice.package.dir.startsWith(path.join(ensembleHome(), 'runtime')),
        'in the ensemble home, which extension updates leave alone',
      );
      assert.equal(registry.requests.length, 2, 'the packument, then the tarball');

      const cpu = await vscode.commands.executeCommand<Outcome<{ gpu: string }>>('ensemble.setupGpu', { runtime: 'cpu' });
      assert.ok(cpu.ok);
      assert.deepEqual(JSON.parse(fs.readFileSync(runtimeFile, 'utf8')), { gpu: 'cpu' });
    } finally {
      process.env.PATH = saved.path;
      if (saved.registry === undefined) delete process.env.npm_config_registry;
      else process.env.npm_config_registry = saved.registry;
      fs.rmSync(runtimeFile, { force: true }); // later daemon starts detect the GPU as before
      await registry.close();
    }
  });
});

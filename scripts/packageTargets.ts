/**
 * Builds one .vsix per platform (`npm run package`): linux-x64, linux-arm64, darwin-arm64,
 * darwin-x64, win32-x64, win32-arm64.
 *
 * `vsce package --target` only stamps the manifest; the files in the .vsix are whatever
 * node_modules holds. So each target gets a staging folder: the production bundles, and a
 * node_modules with the production dependencies (from package-lock.json) plus exactly that
 * platform's llama.cpp package (common/llamaBinaries.ts: the CPU build, Metal on Apple silicon),
 * fetched with `npm pack`, checked against the lock's integrity and unpacked; no other platform's
 * binary. better-sqlite3 (compiled on this machine, for this platform's Node) goes only into the
 * .vsix of the platform it was built on; elsewhere the daemon records in memory (docs/platforms.md).
 *
 *   npx tsx scripts/packageTargets.ts [--out <dir>] [--targets linux-x64,win32-x64] [--no-build]
 *
 * Writes <out>/ensemble-<target>-<version>.vsix (default out: .tmp/vsix).
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tar from 'tar';
import { defaultBinaryPackage, VSIX_TARGETS, type VsixTarget } from '../common/llamaBinaries';
import { HIDDEN_WINDOW, spawnPlan } from '../common/node/spawnCommand';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
/** What the .vsix needs besides node_modules (.vscodeignore trims inside these). */
const SHIPPED = [
  'package.json',
  'README.md',
  'LICENSE',
  '.vscodeignore',
  'dist',
  'schemas',
  'extension/media/icon.png',
  'webview/inspector.css',
];
/** A native module compiled on this machine: only valid on the platform that built it. */
const HOST_BUILT = 'better-sqlite3';

interface LockEntry {
  version?: string;
  integrity?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  link?: boolean;
}
interface Lock {
  packages: Record<string, LockEntry>;
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

async function command(cmd: string[], cwd: string): Promise<string> {
  const plan = spawnPlan(cmd);
  const { stdout } = await run(plan.file, plan.args, {
    ...HIDDEN_WINDOW,
    windowsVerbatimArguments: plan.windowsVerbatimArguments,
    cwd,
    maxBuffer: 64 * 2 ** 20,
  });
  return stdout;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function integrityOf(file: string): string {
  return `sha512-${crypto.createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

/** The platform package's tarball, from the cache or the registry, checked against package-lock.json. */
async function fetchBinary(name: string, lock: Lock, cache: string): Promise<string> {
  const entry = lock.packages[`node_modules/${name}`];
  if (!entry?.version || !entry.integrity) throw new Error(`${name} is not in package-lock.json (run npm install)`);
  const file = path.join(cache, `${name.replace('@', '').replace('/', '-')}-${entry.version}.tgz`);
  if (!fs.existsSync(file) || integrityOf(file) !== entry.integrity) {
    fs.mkdirSync(cache, { recursive: true });
    const out = await command([npm, 'pack', `${name}@${entry.version}`, '--pack-destination', cache, '--json', '--silent'], cache);
    const packed = (JSON.parse(out) as Array<{ filename: string }>)[0];
    if (!packed) throw new Error(`npm pack ${name}@${entry.version} wrote nothing`);
    // npm names scoped tarballs scope-name-version.tgz, the same as `file` above.
    const written = path.join(cache, packed.filename);
    if (written !== file) fs.renameSync(written, file);
  }
  const actual = integrityOf(file);
  if (actual !== entry.integrity) throw new Error(`${file}: integrity ${actual} differs from package-lock.json's ${entry.integrity}`);
  return file;
}

/** Production packages of the lock (what the bundled daemon loads at run time), as paths under the repository. */
function productionPackages(lock: Lock): string[] {
  return Object.entries(lock.packages)
    .filter(([where, e]) => where.startsWith('node_modules/') && !e.dev && !e.optional && !e.devOptional && !e.link)
    .map(([where]) => where)
    .filter((where) => !where.includes('node_modules/@node-llama-cpp/'));
}

async function stage(target: VsixTarget, lock: Lock, binaryTgz: string, staging: string, hostTarget: string): Promise<void> {
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  for (const item of SHIPPED) {
    fs.cpSync(path.join(root, item), path.join(staging, item), {
      recursive: true,
      filter: (src) => !src.startsWith(path.join(root, 'dist', 'test')),
    });
  }
  const withSqlite = target.target === hostTarget;
  const packages = productionPackages(lock).filter(
    (p) => withSqlite || (p !== `node_modules/${HOST_BUILT}` && !p.startsWith(`node_modules/${HOST_BUILT}/`)),
  );
  const shipped = new Set(packages);
  // A package's folder may hold nested packages that are not production ones (node-llama-cpp's
  // overridden GPU variants, optional builds): those stay behind.
  const isPackageDir = (rel: string) => /(^|\/)node_modules\/(@[^/]+\/)?[^/@]+$/.test(rel);
  const keep = (src: string) => {
    const rel = path.relative(root, src).split(path.sep).join('/');
    return !isPackageDir(rel) || shipped.has(rel);
  };
  for (const where of packages) {
    if (fs.existsSync(path.join(root, where)))
      fs.cpSync(path.join(root, where), path.join(staging, where), { recursive: true, verbatimSymlinks: true, filter: keep });
  }
  // The staged manifest: `overrides` are install-time settings of this repository, meaningless in a
  // .vsix (whose node_modules is built here) and an EOVERRIDE error for an npm install run in the
  // installed extension's folder. And it must not name a dependency this .vsix lacks: vsce lists
  // them with `npm list`, which fails on a missing one.
  const manifestPath = path.join(staging, 'package.json');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { dependencies: Record<string, string>; overrides?: unknown };
  delete manifest.overrides;
  if (!withSqlite) delete manifest.dependencies[HOST_BUILT];
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  const binaryDir = path.join(staging, 'node_modules', defaultBinaryPackage(target.platform, target.arch)!);
  fs.mkdirSync(binaryDir, { recursive: true });
  await tar.x({ file: binaryTgz, cwd: binaryDir, strip: 1 });
}

async function main(): Promise<void> {
  const out = path.resolve(option('--out') ?? path.join(root, '.tmp', 'vsix'));
  const wanted = option('--targets')?.split(',');
  const targets = VSIX_TARGETS.filter((t) => !wanted || wanted.includes(t.target));
  if (wanted && targets.length !== wanted.length)
    throw new Error(`unknown target in ${wanted.join(',')}; known: ${VSIX_TARGETS.map((t) => t.target).join(', ')}`);
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as Lock;
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  if (!process.argv.includes('--no-build')) await command([process.execPath, 'esbuild.mjs', '--production'], root);
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const hostTarget = `${process.platform}-${process.arch}`;
  fs.mkdirSync(out, { recursive: true });
  for (const target of targets) {
    const binary = defaultBinaryPackage(target.platform, target.arch);
    if (!binary) throw new Error(`no llama.cpp package for ${target.target}`);
    const tgz = await fetchBinary(binary, lock, path.join(root, '.tmp', 'llama-binaries'));
    const staging = path.join(root, '.tmp', 'package', target.target);
    await stage(target, lock, tgz, staging, hostTarget);
    const file = path.join(out, `ensemble-${target.target}-${version}.vsix`);
    // The README links to docs/ (shipped in the .vsix) by relative paths: VS Code resolves them inside
    // the installed extension, and there is no public repository for vsce to rewrite them against.
    await command([process.execPath, vsce, 'package', '--target', target.target, '--no-rewrite-relative-links', '--out', file], staging);
    console.log(`${path.relative(process.cwd(), file)}  ${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB  (${binary})`);
  }
}

await main();

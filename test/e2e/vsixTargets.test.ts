/**
 * The per-platform .vsix files (scripts/packageTargets.ts): each carries its platform's llama.cpp
 * package and no native code for any other platform (every .node/.so/.dylib/.dll inside is read
 * and its machine type checked: ELF, Mach-O or PE, x64 or arm64), its manifest names its target,
 * and its size is sane.
 *
 * Uses the .vsix files in ENSEMBLE_VSIX_DIR (`npm run test:e2e` builds them there, fresh), else
 * builds the missing ones once into .tmp/vsix (minutes: six staging folders and vsce runs).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import yauzl from 'yauzl';
import { defaultBinaryPackage, VSIX_TARGETS } from '../../common/llamaBinaries';

const root = path.resolve(import.meta.dirname, '..', '..');
const dir = path.resolve(process.env.ENSEMBLE_VSIX_DIR ?? path.join(root, '.tmp', 'vsix'));
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const vsixOf = (target: string) => path.join(dir, `ensemble-${target}-${version}.vsix`);
const MiB = 2 ** 20;
/** A .vsix is the bundles plus one platform's CPU build (7 to 30 MiB here); a GPU build or a second platform would be far more. */
const MAX_BYTES = 60 * MiB;
const MIN_BYTES = 2 * MiB;

type Format = { os: 'linux' | 'darwin' | 'win32'; arch: 'x64' | 'arm64' | 'other' };

/** The OS and CPU a native binary is for, from its header. */
function binaryFormat(b: Buffer): Format | undefined {
  if (b.length >= 20 && b.readUInt32BE(0) === 0x7f454c46) {
    const machine = b.readUInt16LE(18); // ELF e_machine (little-endian files)
    return { os: 'linux', arch: machine === 62 ? 'x64' : machine === 183 ? 'arm64' : 'other' };
  }
  if (b.length >= 8 && b.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = b.readUInt32LE(4); // Mach-O 64-bit cputype
    return { os: 'darwin', arch: cpu === 0x01000007 ? 'x64' : cpu === 0x0100000c ? 'arm64' : 'other' };
  }
  if (b.length >= 64 && b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(0x3c);
    if (b.length < pe + 6 || b.toString('latin1', pe, pe + 4) !== 'PE\0\0') return undefined;
    const machine = b.readUInt16LE(pe + 4);
    return { os: 'win32', arch: machine === 0x8664 ? 'x64' : machine === 0xaa64 ? 'arm64' : 'other' };
  }
  return undefined;
}

const NATIVE = /\.(node|so|dylib|dll)$/;
const [MANIFEST, PACKAGE_JSON] = ['extension.vsixmanifest', 'extension/package.json'] as const;
const TEXTS: readonly string[] = [MANIFEST, PACKAGE_JSON];

/** Every entry name, the manifest's text, and the header of each native file. */
async function readVsix(file: string): Promise<{ names: string[]; manifest: string; packageJson: string; natives: Map<string, Buffer> }> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))),
  );
  const names: string[] = [];
  const natives = new Map<string, Buffer>();
  const texts = new Map<string, string>();
  const readEntry = (entry: yauzl.Entry, limit: number) =>
    new Promise<Buffer>((resolve, reject) =>
      zip.openReadStream(entry, (e, stream) => {
        if (e) return reject(e);
        const chunks: Buffer[] = [];
        let got = 0;
        stream.on('data', (c: Buffer) => {
          if (got < limit) chunks.push(c);
          got += c.length;
        });
        stream.on('end', () => resolve(Buffer.concat(chunks).subarray(0, limit)));
        stream.on('error', reject);
      }),
    );
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      names.push(entry.fileName);
      const text = TEXTS.includes(entry.fileName);
      const wanted = text ? 1 * MiB : NATIVE.test(entry.fileName) ? 64 * 1024 : 0;
      if (!wanted) return zip.readEntry();
      readEntry(entry, wanted).then((b) => {
        if (text) texts.set(entry.fileName, b.toString('utf8'));
        else natives.set(entry.fileName, b);
        zip.readEntry();
      }, reject);
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  zip.close();
  return { names, manifest: texts.get(MANIFEST) ?? '', packageJson: texts.get(PACKAGE_JSON) ?? '{}', natives };
}

/** Unpacks the extension folder of a .vsix into `dest`. */
async function unpack(file: string, dest: string): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))),
  );
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      const target = path.resolve(dest, entry.fileName);
      if (!entry.fileName.startsWith('extension/') || entry.fileName.endsWith('/') || !target.startsWith(dest + path.sep))
        return zip.readEntry();
      fs.mkdirSync(path.dirname(target), { recursive: true });
      zip.openReadStream(entry, (e, stream) => {
        if (e) return reject(e);
        stream
          .pipe(fs.createWriteStream(target))
          .on('finish', () => zip.readEntry())
          .on('error', reject);
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  zip.close();
}

/** `ensemble status --json` of the daemon bundled in an unpacked .vsix (started for it, stopped after). */
function bundledDaemonStatus(unpacked: string): { llamaRuntime?: { package?: string; problem?: string } } {
  const cli = path.join(unpacked, 'extension', 'dist', 'cli.mjs');
  const env = { ...process.env, ENSEMBLE_HOME: path.join(unpacked, 'home') };
  try {
    return JSON.parse(execFileSync(process.execPath, [cli, 'status', '--json'], { env, encoding: 'utf8', windowsHide: true })) as {
      llamaRuntime?: { package?: string; problem?: string };
    };
  } finally {
    execFileSync(process.execPath, [cli, 'stop'], { env, windowsHide: true });
  }
}

describe('one .vsix per platform', () => {
  before(() => {
    const missing = VSIX_TARGETS.filter((t) => !fs.existsSync(vsixOf(t.target))).map((t) => t.target);
    if (missing.length === 0) return;
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/packageTargets.ts', '--out', dir, '--targets', missing.join(',')], {
      cwd: root,
      stdio: 'inherit',
      windowsHide: true,
    });
  });

  for (const { target, platform, arch } of VSIX_TARGETS) {
    const binary = defaultBinaryPackage(platform, arch)!;
    it(`${target}: carries ${binary}, no other platform's native code, manifest and size right`, async () => {
      const file = vsixOf(target);
      const size = fs.statSync(file).size;
      assert.ok(size > MIN_BYTES && size < MAX_BYTES, `${file} is ${(size / MiB).toFixed(1)} MiB`);
      const { names, manifest, packageJson, natives } = await readVsix(file);

      assert.match(manifest, new RegExp(`<Identity [^>]*TargetPlatform="${target}"`));
      assert.match(manifest, /Microsoft\.VisualStudio\.Code\.ExtensionKind" Value="workspace"/);
      for (const bundle of ['extension/dist/extension.cjs', 'extension/dist/cli.mjs', 'extension/dist/worker.mjs'])
        assert.ok(names.includes(bundle), `${bundle} is missing`);

      assert.equal(
        (JSON.parse(packageJson) as { overrides?: unknown }).overrides,
        undefined,
        'install-time overrides do not belong in a .vsix',
      );

      const binaryPackages = new Set(names.flatMap((n) => /^extension\/node_modules\/(@node-llama-cpp\/[^/]+)\//.exec(n)?.[1] ?? []));
      assert.deepEqual([...binaryPackages], [binary]);
      const folder = binary.slice('@node-llama-cpp/'.length);
      const addon = `extension/node_modules/${binary}/bins/${folder}/llama-addon.node`;
      assert.ok(natives.has(addon), `${addon} is missing`);
      assert.ok(names.includes('extension/node_modules/node-llama-cpp/package.json'), 'node-llama-cpp itself is missing');

      const foreign = [...natives].flatMap(([name, header]) => {
        const format = binaryFormat(header);
        return format?.os === platform && format.arch === arch ? [] : [`${name}: ${JSON.stringify(format)}`];
      });
      assert.deepEqual(foreign, []);
    });
  }

  it("this machine's .vsix runs its bundled daemon with its llama.cpp binary; another platform's says at start that it has none", async (t) => {
    const host = VSIX_TARGETS.find((v) => v.platform === process.platform && v.arch === process.arch);
    const other = VSIX_TARGETS.find((v) => v !== host && v.platform === process.platform) ?? VSIX_TARGETS.find((v) => v !== host)!;
    if (!host) return t.skip(`no .vsix is built for ${process.platform}-${process.arch}`);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-vsix-run-'));
    try {
      await unpack(vsixOf(host.target), path.join(scratch, 'host'));
      const ok = bundledDaemonStatus(path.join(scratch, 'host'));
      assert.deepEqual(ok.llamaRuntime, { package: defaultBinaryPackage(host.platform, host.arch) });

      await unpack(vsixOf(other.target), path.join(scratch, 'other'));
      const missing = bundledDaemonStatus(path.join(scratch, 'other'));
      const expected = `no llama.cpp runtime for ${host.platform}-${host.arch}: ${defaultBinaryPackage(host.platform, host.arch)} is not installed`;
      assert.ok(missing.llamaRuntime?.problem?.startsWith(expected), JSON.stringify(missing.llamaRuntime));
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});

/**
 * A fake npm registry on 127.0.0.1, port 0, serving one package the way registry.npmjs.org does:
 *   GET /@scope%2fname        the (abbreviated) packument: versions[v].dist.{tarball, integrity}
 *   GET /tarballs/<file>.tgz  a REAL gzipped tarball built with the `tar` library, entries under
 *                             `package/` like `npm pack` makes: package.json, dist/index.js (the
 *                             getBinsDir module node-llama-cpp's binary packages export) and a
 *                             bins/<name>/ folder with a dummy binary.
 * Faults, for the installer's refusals: `publishIntegrity` (a wrong published digest) and
 * `truncateAt` (the tarball's connection drops after that many bytes, with the full Content-Length).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { c as tarCreate } from 'tar';

export interface FakeRegistry {
  url: string;
  /** The tarball's bytes and its SRI sha512, as the real registry publishes it. */
  tarball: Buffer;
  integrity: string;
  /** Requests served, by path. */
  requests: string[];
  faults: { publishIntegrity?: string; truncateAt?: number };
  close(): Promise<void>;
}

const BINS_MODULE = `import path from "path";
import { fileURLToPath } from "url";
import fs from "node:fs/promises";
const __dirname = path.dirname(fileURLToPath(import.meta.url));
const binsDir = path.join(__dirname, "..", "bins");
const packageVersion = (JSON.parse(await fs.readFile(path.join(__dirname, "..", "package.json"), "utf8"))).version;
export function getBinsDir() { return { binsDir, packageVersion }; }
`;

/** Builds the package's tarball the way `npm pack` lays it out. */
export async function packRuntimePackage(name: string, version: string): Promise<Buffer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-pkg-'));
  try {
    const pkg = path.join(dir, 'package');
    const flat = name.split('/')[1]!;
    fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
    fs.mkdirSync(path.join(pkg, 'bins', flat), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name, version, type: 'module', main: 'dist/index.js' }));
    fs.writeFileSync(path.join(pkg, 'dist', 'index.js'), BINS_MODULE);
    fs.writeFileSync(path.join(pkg, 'bins', flat, '_nlcBuildMetadata.json'), '{}');
    fs.writeFileSync(path.join(pkg, 'bins', flat, 'llama-addon.node'), crypto.randomBytes(64 * 1024));
    const file = path.join(dir, 'package.tgz');
    await tarCreate({ gzip: true, cwd: dir, file, portable: true }, ['package']);
    return fs.readFileSync(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function startFakeRegistry(name: string, version: string): Promise<FakeRegistry> {
  const tarball = await packRuntimePackage(name, version);
  const integrity = `sha512-${crypto.createHash('sha512').update(tarball).digest('base64')}`;
  const requests: string[] = [];
  const faults: FakeRegistry['faults'] = {};
  const tgz = `/tarballs/${name.split('/')[1]}-${version}.tgz`;
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (req.url === `/${name.replace('/', '%2f')}`) {
      const packument = {
        name,
        'dist-tags': { latest: version },
        versions: { [version]: { name, version, dist: { tarball: `${base}${tgz}`, integrity: faults.publishIntegrity ?? integrity } } },
      };
      res.writeHead(200, { 'content-type': 'application/vnd.npm.install-v1+json' });
      res.end(JSON.stringify(packument));
      return;
    }
    if (req.url === tgz) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': tarball.length });
      if (faults.truncateAt === undefined) {
        res.end(tarball);
        return;
      }
      res.write(tarball.subarray(0, faults.truncateAt), () => res.destroy());
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"Not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    tarball,
    integrity,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

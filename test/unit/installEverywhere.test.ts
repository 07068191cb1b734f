/**
 * package.json and package-lock.json install on every desk: no direct dependency is restricted to
 * one OS or CPU (npm ci fails with EBADPLATFORM on the others), optional dependencies are not
 * omitted (the host's llama.cpp binary arrives as one), and node-llama-cpp's CUDA and Vulkan
 * builds (hundreds of MB; `ensemble setup gpu` fetches them on demand) are overridden to nothing.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';

interface LockEntry {
  name?: string;
  version?: string;
  os?: string[];
  cpu?: string[];
  optional?: boolean;
}
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  overrides?: Record<string, string>;
};
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockEntry> };
const GPU_VARIANTS = ['linux-x64-cuda', 'linux-x64-cuda-ext', 'linux-x64-vulkan', 'win-x64-cuda', 'win-x64-cuda-ext', 'win-x64-vulkan'];

describe('dependencies install everywhere', () => {
  it('no direct dependency declares os or cpu', () => {
    const direct = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies });
    assert.ok(direct.length > 10, 'read the direct dependencies');
    const restricted = direct.filter((name) => {
      const entry = lock.packages[`node_modules/${name}`];
      assert.ok(entry, `${name} is missing from package-lock.json (run npm install)`);
      return entry.os !== undefined || entry.cpu !== undefined;
    });
    assert.deepEqual(restricted, []);
  });

  it('no .npmrc omits optional dependencies', () => {
    const npmrc = fs.existsSync('.npmrc') ? fs.readFileSync('.npmrc', 'utf8') : '';
    assert.doesNotMatch(npmrc, /^\s*omit\s*=.*optional/m);
  });

  for (const variant of GPU_VARIANTS) {
    it(`@node-llama-cpp/${variant} is overridden to an empty package`, () => {
      assert.match(pkg.overrides?.[`@node-llama-cpp/${variant}`] ?? '', /^npm:empty-npm-package@\d+\.\d+\.\d+$/);
      const installed = Object.entries(lock.packages).filter(([p]) => p.endsWith(`node_modules/@node-llama-cpp/${variant}`));
      assert.ok(installed.length > 0, `${variant} is not in the lock at all (node-llama-cpp lists it)`);
      for (const [where, entry] of installed) assert.equal(entry.name, 'empty-npm-package', where);
    });
  }
});

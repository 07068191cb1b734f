/**
 * The per-side tsconfig files: each side is checked with its own ambient types only, so code that
 * would fail at run time on its side (process in the browser, document in the extension host, a
 * mocha global in the daemon) fails the type check instead. `npm run typecheck` runs them all.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');

interface Side {
  extends?: string;
  compilerOptions?: { lib?: string[]; types?: string[] };
  include?: string[];
  exclude?: string[];
}

function side(file: string): Side {
  return JSON.parse(fs.readFileSync(path.join(root, file), 'utf8')) as Side;
}

const hasDom = (s: Side) => (s.compilerOptions?.lib ?? []).some((l) => l.toLowerCase().startsWith('dom'));

describe('per-side tsconfig files', () => {
  it('the Node side has Node types and neither the DOM, mocha nor vscode', () => {
    const node = side('tsconfig.node.json');
    assert.deepEqual(node.compilerOptions?.types, ['node']);
    assert.equal(hasDom(node), false);
    assert.deepEqual(node.include, ['protocol', 'common', 'daemon', 'cli', 'client', 'scripts', 'bench']);
  });

  it('the extension has Node and vscode types, no DOM', () => {
    const extension = side('tsconfig.extension.json');
    assert.deepEqual(extension.compilerOptions?.types, ['node', 'vscode']);
    assert.equal(hasDom(extension), false);
    assert.deepEqual(extension.include, ['extension']);
  });

  it('the webview has the DOM and no Node, and holds protocol/ and common/ (but common/node/) to the same', () => {
    const webview = side('tsconfig.webview.json');
    assert.deepEqual(webview.compilerOptions?.types, []);
    assert.equal(hasDom(webview), true);
    assert.deepEqual(webview.include, ['webview', 'protocol', 'common']);
    assert.ok(webview.exclude?.includes('common/node'));
  });

  it('every side extends the one base, whose own ambient types are none', () => {
    for (const file of ['tsconfig.node.json', 'tsconfig.extension.json', 'tsconfig.webview.json', 'tsconfig.json']) {
      assert.equal(side(file).extends, './tsconfig.base.json', file);
    }
    assert.deepEqual(side('tsconfig.base.json').compilerOptions?.types, []);
  });

  it('npm run typecheck checks every side and the tests', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const checked = [...(pkg.scripts.typecheck ?? '').matchAll(/tsc --noEmit -p (\S+)/g)].map((m) => m[1]);
    assert.deepEqual(checked, ['tsconfig.node.json', 'tsconfig.extension.json', 'tsconfig.webview.json', 'tsconfig.json']);
  });
});

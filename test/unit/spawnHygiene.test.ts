/**
 * Every process the product starts hides its console window on Windows and is started from an
 * argument array, never a shell string. Read from the sources, so a new spawn that forgets either
 * fails here rather than on a Windows desk. (`ensemble setup gpu` and daemon/runtime/ run npm
 * and are checked by their own tests.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const PRODUCT = ['cli', 'client', 'common', 'daemon', 'extension'];
const EXEMPT = [path.join('cli', 'commands', 'setupGpu.ts'), path.join('daemon', 'runtime') + path.sep];
// A call, not a method (`this.spawn()`, `re.exec()`) nor a definition (`private spawn()`).
const CALL = /(?<![.\w])(?<!(?:private|function|async) )(spawn|fork|execFile|execFileSync|spawnSync|exec|execSync)\(/g;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The text of a call from its name to its closing parenthesis (balanced; strings are short here). */
function callText(text: string, start: number): string {
  let depth = 0;
  for (let i = text.indexOf('(', start); i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return text.slice(start, i + 1);
  }
  return text.slice(start);
}

describe('process spawning in the product', () => {
  const files = PRODUCT.flatMap(sources).filter((f) => !EXEMPT.some((x) => f.startsWith(x)));
  const calls = files.flatMap((file) => {
    const text = fs.readFileSync(file, 'utf8');
    if (!/from 'node:child_process'/.test(text)) return [];
    return [...text.matchAll(CALL)].map((m) => ({ file, call: callText(text, m.index) }));
  });

  it('finds the product spawns it guards (daemon launch, model workers, the CLI demo)', () => {
    const where = new Set(calls.map((c) => c.file));
    for (const f of ['client/daemonClient.ts', 'daemon/worker/workerProcess.ts', 'cli/commands/demo.ts']) assert.ok(where.has(f), f);
  });

  it('every spawn, fork and execFile hides its window', () => {
    const bare = calls.filter((c) => !/HIDDEN_WINDOW|windowsHide: true/.test(c.call)).map((c) => `${c.file}: ${c.call.slice(0, 80)}`);
    assert.deepEqual(bare, []);
  });

  it('no shell strings: no exec/execSync, no shell option', () => {
    const shelled = calls.filter((c) => /^(exec|execSync)\(/.test(c.call) || /\bshell:/.test(c.call)).map((c) => c.file);
    assert.deepEqual(shelled, []);
  });
});

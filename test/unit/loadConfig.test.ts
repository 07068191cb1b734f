/**
 * daemon/config/loadConfig.ts: ENSEMBLE_HOME/config.json to a checked PoolConfig, or an error that
 * names the file, the JSON path and what was there.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { defaultPoolConfig } from '../../common/defaultPool';
import { loadConfig, parseConfig, type LoadedConfig } from '../../daemon/config/loadConfig';
import { homePaths, type HomePaths } from '../../common/node/home';

const homes: string[] = [];
after(() => {
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

let paths: HomePaths;
beforeEach(() => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'loadconfig-'));
  homes.push(home);
  paths = homePaths(home);
});

function write(config: unknown): void {
  fs.writeFileSync(paths.config, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
}

function ok(): LoadedConfig {
  const r = loadConfig(paths);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

function error(): string {
  const r = loadConfig(paths);
  assert.ok(!r.ok, 'expected the config to be refused');
  return r.error;
}

const llama = (id: string, p = `${id}.gguf`) => ({ id, backend: 'llama.cpp', path: p });
const openai = (id: string) => ({ id, backend: 'openai', baseUrl: 'http://127.0.0.1:8000/v1', model: id });

describe('loadConfig: the embedded default', () => {
  it('is used when config.json is absent, its files resolved under models/', () => {
    const v = ok();
    assert.equal(v.source, 'embedded');
    assert.equal(v.path, paths.config);
    assert.equal(v.defaultEnsemble, 'default');
    assert.deepEqual(
      v.config.models.map((m) => m.id),
      ['qwen2.5-0.5b', 'llama3.2-1b', 'smollm2-360m'],
    );
    for (const m of v.config.models) {
      assert.equal(m.backend, 'llama.cpp');
      if (m.backend !== 'llama.cpp') continue;
      assert.equal(path.dirname(m.path!), paths.models, `${m.id}: ${m.path}`);
      // Pinned: a fixed commit (not "main", which moves) and the file's sha256.
      assert.match(m.url ?? '', /^https:\/\/huggingface\.co\/[^/]+\/[^/]+\/resolve\/[0-9a-f]{40}\/[^/]+\.gguf$/, m.id);
      assert.match(m.sha256 ?? '', /^[0-9a-f]{64}$/, m.id);
      assert.equal(m.contextSize, 2048, 'schema defaults applied');
      assert.equal(m.gpuLayers, 0);
    }
    assert.deepEqual(v.config.ensembles.default!.members, ['qwen2.5-0.5b', 'llama3.2-1b', 'smollm2-360m']);
    assert.deepEqual(v.config.daemon, {
      allowedOrigins: [],
      maxParallelMembers: 4,
      recalibrationWindow: 200,
      healthIntervalMs: 15_000,
      healthTimeoutMs: 5_000,
      breakerThreshold: 3,
      breakerCoolDownMs: 10_000,
    });
  });

  it('is not mutated by loading: a second load resolves the same paths (not models/models/...)', () => {
    const first = ok().config.models.map((m) => (m.backend === 'llama.cpp' ? m.path : ''));
    const second = ok().config.models.map((m) => (m.backend === 'llama.cpp' ? m.path : ''));
    assert.deepEqual(second, first);
    assert.equal((defaultPoolConfig.models![0] as { path: string }).path, 'qwen2.5-0.5b-instruct-q4_k_m.gguf');
  });

  it('an unreadable config.json (a directory) is an error, not the embedded default', () => {
    fs.mkdirSync(paths.config);
    assert.match(error(), new RegExp(`^${escape(paths.config)}: cannot read: `));
  });
});

describe('loadConfig: models', () => {
  it('resolves relative llama.cpp paths under models/, keeps absolute ones, leaves HTTP models alone', () => {
    const abs = path.join(os.tmpdir(), 'elsewhere', 'x.gguf');
    write({ models: [llama('a'), llama('b', './sub/b.gguf'), llama('c', abs), openai('d')] });
    const v = ok();
    assert.equal(v.source, 'file');
    const byId = Object.fromEntries(v.config.models.map((m) => [m.id, m]));
    assert.equal((byId.a as { path: string }).path, path.join(paths.models, 'a.gguf'));
    assert.equal((byId.b as { path: string }).path, path.join(paths.models, 'sub', 'b.gguf'));
    assert.equal((byId.c as { path: string }).path, abs);
    assert.equal((byId.d as { baseUrl: string }).baseUrl, 'http://127.0.0.1:8000/v1');
  });

  it("a model with only a url gets a path under models/ named after the URL's file, so it can be fetched", () => {
    write({
      models: [
        {
          id: 'q',
          backend: 'llama.cpp',
          url: 'https://huggingface.co/Qwen/x/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf?download=true',
        },
        { id: 'odd', backend: 'llama.cpp', url: 'https://example.com/download' },
      ],
    });
    const [q, odd] = ok().config.models as Array<{ path?: string }>;
    assert.equal(q!.path, path.join(paths.models, 'qwen2.5-0.5b-instruct-q4_k_m.gguf'));
    assert.equal(odd!.path, path.join(paths.models, 'odd.gguf'), 'not a .gguf name: the model id is used');
  });

  it('refuses duplicate model ids, naming the second', () => {
    write({ models: [llama('a'), openai('b'), llama('a', 'other.gguf')] });
    assert.equal(error(), `${paths.config}: models[2].id: duplicate model id "a"`);
  });

  it('a llama.cpp model with neither path nor url is refused', () => {
    write({ models: [{ id: 'a', backend: 'llama.cpp' }] });
    assert.match(error(), /models\[0\]\.path: a llama\.cpp model needs "path" \(a local GGUF file\) or "url"/);
  });
});

describe('loadConfig: LoRA adapter members', () => {
  it("resolves an in-process adapter's relative path against models/ and defaults its scale to 1", () => {
    write({ models: [{ id: 'docs', backend: 'llama.cpp', path: 'base.gguf', lora: { path: 'docs-lora.gguf' } }] });
    const [m] = ok().config.models as Array<{ lora?: { path: string; scale: number } }>;
    assert.deepEqual(m!.lora, { path: path.join(paths.models, 'docs-lora.gguf'), scale: 1 });
  });

  it("refuses an adapter that is the base model's own file", () => {
    write({ models: [{ id: 'docs', backend: 'llama.cpp', path: 'base.gguf', lora: { path: 'base.gguf' } }] });
    assert.match(error(), /models\[0\]\.lora\.path: the adapter is the base model's own file/);
  });

  it('refuses an unknown field and an out-of-range scale, naming them', () => {
    write({ models: [{ id: 'docs', backend: 'llama.cpp', path: 'base.gguf', lora: { file: 'x.gguf', scale: 50 } }] });
    const e = error();
    assert.match(e, /models\[0\]\.lora/);
    assert.match(e, /file|path/);
  });

  it('a served adapter names exactly one of "name" (vLLM) or "id" (llama.cpp server)', () => {
    const served = (lora: unknown): unknown => ({ id: 's', backend: 'openai', baseUrl: 'http://127.0.0.1:8000/v1', model: 'base', lora });
    write({ models: [served({ name: 'sql-lora' }), { ...(served({ id: 2, scale: 0.5 }) as object), id: 't' }] });
    const [vllm, server] = ok().config.models as Array<{ lora?: unknown }>;
    assert.deepEqual(vllm!.lora, { name: 'sql-lora', scale: 1 });
    assert.deepEqual(server!.lora, { id: 2, scale: 0.5 });
    write({ models: [served({ name: 'a', id: 1 })] });
    assert.match(error(), /models\[0\]\.lora: a served LoRA adapter needs exactly one of "name" \(vLLM --lora-modules\) or "id"/);
    write({ models: [served({})] });
    assert.match(error(), /exactly one of/);
  });
});

describe('loadConfig: ensembles', () => {
  it('adds an ensemble named default with every model and majority voting when there is none', () => {
    write({ models: [llama('a'), openai('b')] });
    const v = ok();
    assert.deepEqual(Object.keys(v.config.ensembles), ['default']);
    const d = v.config.ensembles.default!;
    assert.deepEqual(d.members, ['a', 'b']);
    assert.equal(d.strategy, 'majority');
    assert.equal(d.memberTimeoutMs, 30_000);
    assert.equal(v.defaultEnsemble, 'default');
  });

  it('adds no ensemble when there are no models', () => {
    write({});
    const v = ok();
    assert.deepEqual(v.config.models, []);
    assert.deepEqual(v.config.ensembles, {});
  });

  it('the default ensemble: the one named "default", else the first, else the one configured', () => {
    write({ models: [llama('a')], ensembles: { x: { members: ['a'] }, default: { members: ['a'] } } });
    assert.equal(ok().defaultEnsemble, 'default');
    write({ models: [llama('a')], ensembles: { x: { members: ['a'] }, y: { members: ['a'] } } });
    assert.equal(ok().defaultEnsemble, 'x');
    write({ models: [llama('a')], ensembles: { x: { members: ['a'] }, y: { members: ['a'] } }, defaultEnsemble: 'y' });
    assert.equal(ok().defaultEnsemble, 'y');
  });

  it('refuses a defaultEnsemble that names no ensemble, listing the known ones', () => {
    write({ models: [llama('a')], ensembles: { x: { members: ['a'] }, y: { members: ['a'] } }, defaultEnsemble: 'z' });
    assert.equal(error(), `${paths.config}: defaultEnsemble: no ensemble named "z" (known: x, y)`);
  });

  it('refuses members naming unknown models (string and object forms), listing the known ids', () => {
    write({
      models: [llama('a'), llama('b')],
      ensembles: { t: { members: ['a', 'ghost', { model: 'phantom', promptStyle: 'stepByStep' }] } },
    });
    assert.equal(
      error(),
      [
        `${paths.config}: ensembles.t.members[1]: no model with id "ghost" (known: a, b)`,
        `${paths.config}: ensembles.t.members[2]: no model with id "phantom" (known: a, b)`,
      ].join('\n'),
    );
  });

  it('refuses labels that are not distinct', () => {
    write({ models: [llama('a')], ensembles: { t: { members: ['a'], labels: ['bug', 'bug'] } } });
    assert.equal(error(), `${paths.config}: ensembles.t.labels: labels must be distinct`);
  });

  it('reports every cross-reference problem at once', () => {
    write({ models: [llama('a'), llama('a')], ensembles: { t: { members: ['ghost'] } }, defaultEnsemble: 'nope' });
    assert.equal(error().split('\n').length, 3);
  });
});

describe('loadConfig: errors people can act on', () => {
  it('a JSON syntax error names file:line:col', () => {
    write('{\n  "models": [\n    {"id": "a",, }\n  ]\n}\n');
    // The second comma is the 16th character of line 3.
    assert.match(error(), new RegExp(`^${escape(paths.config)}:3:16: not valid JSON: `));
  });

  it('a JSON syntax error on the first line', () => {
    write('{"models": [] "ensembles": {}}');
    assert.match(error(), new RegExp(`^${escape(paths.config)}:1:15: not valid JSON: `));
  });

  it('a JSON syntax error V8 gives no position for still names the file and says why', () => {
    write('{"models": [1,]}');
    assert.match(error(), new RegExp(`^${escape(paths.config)}(:\\d+:\\d+)?: not valid JSON: .*Unexpected token`));
  });

  it('schema errors name the file, the JSON path, the expectation and the value found', () => {
    write({
      models: [
        llama('a'),
        { ...llama('b'), backend: 'llama' },
        { ...llama('c'), threads: 'many' },
        { ...openai('d'), baseUrl: 'not a url' },
      ],
      ensembles: { tickets: { members: ['a'], strategy: 'best' } },
      daemon: { maxParallelMembers: 0 },
    });
    const lines = error().split('\n');
    const expect = [
      [/models\[1\]\.backend: .*llama\.cpp.*\(got "llama"\)$/],
      [/models\[2\]\.threads: .*number.*\(got "many"\)$/],
      [/models\[3\]\.baseUrl: .*URL.*\(got "not a url"\)$/i],
      [/ensembles\.tickets\.strategy: .*"majority".*\(got "best"\)$/],
      [/daemon\.maxParallelMembers: .*\(got 0\)$/],
    ];
    for (const [re] of expect) {
      const line = lines.find((l) => re!.test(l));
      assert.ok(line, `no line matching ${re} in:\n${lines.join('\n')}`);
      assert.ok(line.startsWith(`${paths.config}: `), line);
    }
    assert.equal(lines.length, expect.length, lines.join('\n'));
  });

  it('a missing value is "got nothing"; an ensemble name that needs quoting is quoted in the path', () => {
    write({ models: [{ id: 'a', backend: 'openai', baseUrl: 'http://x/v1' }], ensembles: { 'my team': { members: [] } } });
    const e = error();
    assert.match(e, /models\[0\]\.model: .*\(got nothing\)/);
    assert.match(e, /ensembles\["my team"\]/);
  });

  it('the root being something else than an object', () => {
    write('[]');
    assert.match(error(), new RegExp(`^${escape(paths.config)}: \\(root\\): .*object.*\\(got \\[\\]\\)$`));
  });

  it('parseConfig names the embedded config when that is what failed', () => {
    const r = parseConfig({ models: [{ id: '', backend: 'ollama', model: 'x' }] }, paths, 'embedded');
    assert.ok(!r.ok);
    assert.match(r.error, /^\(embedded default config\): models\[0\]\.id: /);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** daemon/config/memberIdentity.ts: when a replaced member keeps what was learned about it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { continuity, replacedModels } from '../../daemon/config/memberIdentity';
import { ModelEntry } from '../../protocol/config';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const llama = (extra: Record<string, unknown> = {}) => ModelEntry.parse({ id: 'm', backend: 'llama.cpp', path: '/m/a.gguf', ...extra });
const openai = (extra: Record<string, unknown> = {}) =>
  ModelEntry.parse({ id: 'm', backend: 'openai', baseUrl: 'http://127.0.0.1:8000/v1', model: 'qwen', ...extra });
const ollama = (extra: Record<string, unknown> = {}) => ModelEntry.parse({ id: 'm', backend: 'ollama', model: 'qwen2.5:0.5b', ...extra });

describe('continuity', () => {
  const rows: Array<[string, ModelEntry, ModelEntry, boolean, RegExp?]> = [
    [
      'same file, other settings (threads, context, timeout, weight)',
      llama(),
      llama({ threads: 4, contextSize: 4096, timeoutMs: 5000, weight: 2 }),
      true,
    ],
    ['another file without sha256', llama(), llama({ path: '/m/b.gguf' }), false, /model changed/],
    ['another path, same sha256: the same file moved', llama({ sha256: SHA_A }), llama({ path: '/m/moved.gguf', sha256: SHA_A }), true],
    ['same path, another sha256: the file was replaced', llama({ sha256: SHA_A }), llama({ sha256: SHA_B }), false, /sha256 changed/],
    ['a LoRA adapter added', llama(), llama({ lora: { path: '/m/docs.gguf' } }), false],
    ['the adapter scale changed', llama({ lora: { path: '/m/docs.gguf' } }), llama({ lora: { path: '/m/docs.gguf', scale: 0.5 } }), false],
    ['server moved, same model name', openai(), openai({ baseUrl: 'http://10.0.0.2:8000/v1' }), true],
    ['server serves another model', openai(), openai({ model: 'llama' }), false],
    ['vLLM adapter by name', openai(), openai({ lora: { name: 'docs-lora' } }), false],
    ['llama.cpp server adapter id changed', openai({ lora: { id: 0 } }), openai({ lora: { id: 1 } }), false],
    ['ollama tag changed', ollama(), ollama({ model: 'qwen2.5:1.5b' }), false],
    ['ollama moved host', ollama(), ollama({ baseUrl: 'http://10.0.0.3:11434' }), true],
    ['another backend', llama(), openai(), false, /backend changed from llama\.cpp to openai/],
  ];
  for (const [name, before, after, same, reason] of rows) {
    it(`${name}: ${same ? 'carries over' : 'starts afresh'}`, () => {
      const c = continuity(before, after);
      assert.equal(c.sameModel, same, c.reason);
      if (reason) assert.match(c.reason, reason);
    });
  }
});

describe('replacedModels', () => {
  it('lists only ids kept in the config whose model changed', () => {
    const before = { models: [llama(), { ...openai(), id: 'srv' }, { ...ollama(), id: 'gone' }] as ModelEntry[] };
    const after = {
      models: [
        llama({ path: '/m/b.gguf' }),
        { ...openai({ baseUrl: 'http://x:1/v1' }), id: 'srv' },
        { ...ollama(), id: 'new' },
      ] as ModelEntry[],
    };
    assert.deepEqual(
      replacedModels(before, after).map((r) => r.id),
      ['m'],
    );
  });
});

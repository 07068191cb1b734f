import assert from 'node:assert/strict';
import { open, type FileHandle } from 'node:fs/promises';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkGguf, estimateMemoryBytes, kvCacheBytes, type GgufSummary } from '../../daemon/gguf/ggufCheck';
import { FAMILIES, writeCorruptModels, writeLabelModel, writeRandomModel, writeSuccessorModel } from '../fixtures/gguf/models';
import { writeGguf, type GgufEntry } from '../fixtures/gguf/writer';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ggufcheck-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function ok(path: string): Promise<GgufSummary> {
  const r = await checkGguf(path);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.summary;
}

describe('checkGguf on valid files', () => {
  it('reads the header of a generated random model', async () => {
    const m = writeRandomModel(join(dir, 'random.gguf'), { seed: 1 });
    const s = await ok(m.path);
    assert.equal(s.version, 3);
    assert.equal(s.architecture, 'llama');
    assert.equal(s.tensorCount, 3 + 9 * FAMILIES.a.nLayer);
    assert.equal(s.embeddingLength, 64);
    assert.equal(s.blockCount, 2);
    assert.equal(s.contextLength, 512);
    assert.equal(s.vocabSize, m.vocabulary.tokens.length);
    assert.equal(s.fileBytes, statSync(m.path).size);
    assert.equal(s.metadata.get('general.name'), 'random-1');
    assert.deepEqual(s.tensors.get('token_embd.weight')?.dims, [64, m.vocabulary.tokens.length]);
    // 2 KV heads of dimension 64/4 = 16, for keys and values.
    assert.equal(s.kvElementsPerToken, 2 * (16 + 16));
  });

  it('accepts F16 tensors, the successor model and every label-model family', async () => {
    await ok(writeRandomModel(join(dir, 'f16.gguf'), { seed: 2, f16: true }).path);
    await ok(writeSuccessorModel(join(dir, 'succ.gguf')).path);
    for (const family of ['a', 'b', 'c'] as const) {
      const s = await ok(writeLabelModel(join(dir, `label-${family}.gguf`), { favor: 'bug', words: ['bug', 'feature'], family }).path);
      assert.equal(s.embeddingLength, FAMILIES[family].nEmbd);
      assert.equal(s.blockCount, FAMILIES[family].nLayer);
    }
  });

  it('estimates memory as the file plus an f16 KV cache for the context', async () => {
    const s = await ok(writeRandomModel(join(dir, 'mem.gguf'), { seed: 3 }).path);
    assert.equal(kvCacheBytes(s, 1024), 2 /* layers */ * 64 /* elements per token */ * 1024 * 2 /* bytes */);
    assert.equal(estimateMemoryBytes(s, 1024), s.fileBytes + kvCacheBytes(s, 1024));
    assert.equal(estimateMemoryBytes(s, 1024, 2), s.fileBytes + 2 * kvCacheBytes(s, 1024));
  });

  it('reads only the header of a multi-GB file (bounded reads)', async () => {
    const m = writeRandomModel(join(dir, 'big.gguf'), { seed: 4 });
    truncateSync(m.path, 3 * 2 ** 30); // sparse: extra bytes after the tensor data are allowed
    let bytesRead = 0;
    const counting = async (path: string): Promise<FileHandle> => {
      const fh = await open(path, 'r');
      const read = async (buffer: Buffer, offset: number, length: number, position: number) => {
        const r = await fh.read(buffer, offset, length, position);
        bytesRead += r.bytesRead;
        return r;
      };
      return new Proxy(fh, { get: (target, key) => (key === 'read' ? read : Reflect.get(target, key, target)) });
    };
    const r = await checkGguf(m.path, counting);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(r.summary.fileBytes, 3 * 2 ** 30);
    // The header sits in the first window (1 MiB); reading the sparse gigabytes would count them here.
    assert.ok(bytesRead > 0 && bytesRead <= 2 ** 20, `the header check read ${bytesRead} bytes`);
  });

  it("round-trips the writer's metadata types", async () => {
    const path = join(dir, 'types.gguf');
    const base = writeRandomModel(join(dir, 'types-base.gguf'), { seed: 5 });
    const s0 = await ok(base.path);
    const entries: GgufEntry[] = [
      { key: 'general.architecture', type: 'str', value: 'llama' },
      { key: 'llama.context_length', type: 'u32', value: 128 },
      { key: 'llama.embedding_length', type: 'u64', value: 64n },
      { key: 'llama.block_count', type: 'i32', value: 1 },
      { key: 'llama.feed_forward_length', type: 'arr', itemType: 'u32', values: [128] },
      { key: 'llama.attention.head_count', type: 'u16', value: 4 },
      { key: 'llama.attention.layer_norm_rms_epsilon', type: 'f32', value: 1e-5 },
      { key: 'x.flag', type: 'bool', value: true },
      { key: 'x.f64', type: 'f64', value: 0.25 },
      { key: 'x.i8', type: 'i8', value: -3 },
      { key: 'tokenizer.ggml.model', type: 'str', value: 'llama' },
      { key: 'tokenizer.ggml.tokens', type: 'arr', itemType: 'str', values: base.vocabulary.tokens },
    ];
    const tensors = [
      { name: 'token_embd.weight', dims: [64, base.vocabulary.tokens.length], data: new Float32Array(64 * base.vocabulary.tokens.length) },
    ];
    writeGguf(path, entries, tensors);
    const s = await ok(path);
    assert.equal(s.metadata.get('x.flag'), true);
    assert.equal(s.metadata.get('x.f64'), 0.25);
    assert.equal(s.metadata.get('x.i8'), -3);
    assert.equal(s.metadata.get('llama.embedding_length'), 64n);
    assert.equal(s.embeddingLength, 64);
    assert.deepEqual(s.metadata.get('llama.feed_forward_length'), { itemType: 4, length: 1, values: [128] });
    assert.equal(s.kvElementsPerToken, 4 * 32);
    assert.equal(s0.vocabSize, s.vocabSize);
  });
});

describe('checkGguf on bad files', () => {
  it('gives a reason naming the file and the problem for every corrupt fixture', async () => {
    const bad = writeCorruptModels(join(dir, 'bad'));
    assert.ok(bad.length >= 10);
    for (const c of bad) {
      const r = await checkGguf(c.path);
      if (c.name === 'missing-tensor') {
        assert.ok(r.ok, 'a missing tensor is left to llama.cpp, which reports it without aborting');
        continue;
      }
      assert.equal(r.ok, false, `${c.name} should be rejected`);
      if (r.ok) continue;
      assert.ok(r.reason.startsWith(`${c.name}.gguf: `), r.reason);
      assert.ok(r.reason.includes(c.mentions), `${c.name}: "${r.reason}" should mention "${c.mentions}"`);
    }
  });

  it('reports the missing key for the metadata that would make llama.cpp abort', async () => {
    const bad = writeCorruptModels(join(dir, 'bad2'));
    for (const [name, key] of [
      ['no-ffn', 'llama.feed_forward_length'],
      ['no-heads', 'llama.attention.head_count'],
    ] as const) {
      const r = await checkGguf(bad.find((c) => c.name === name)!.path);
      assert.equal(r.ok, false);
      assert.equal(r.ok ? undefined : r.key, key);
      assert.match(r.ok ? '' : r.reason, /missing/);
    }
  });

  it('rejects a missing file, a directory and a file cut inside a string', async () => {
    const missing = await checkGguf(join(dir, 'nope.gguf'));
    assert.equal(missing.ok, false);
    assert.match(missing.ok ? '' : missing.reason, /not found/);
    const directory = await checkGguf(dir);
    assert.equal(directory.ok, false);
    const good = readFileSync(writeRandomModel(join(dir, 'cut-src.gguf'), { seed: 6 }).path);
    for (const cut of [24, 40, 100, 1000, 3000]) {
      const path = join(dir, `cut-${cut}.gguf`);
      writeFileSync(path, good.subarray(0, cut));
      const r = await checkGguf(path);
      assert.equal(r.ok, false, `cut at ${cut}`);
      assert.match(r.ok ? '' : r.reason, /truncated|corrupt/);
    }
  });

  it('rejects sizes that contradict each other', async () => {
    const base = writeRandomModel(join(dir, 'shape-src.gguf'), { seed: 7 });
    const s = await ok(base.path);
    const entries: GgufEntry[] = [
      { key: 'general.architecture', type: 'str', value: 'llama' },
      { key: 'llama.context_length', type: 'u32', value: 128 },
      { key: 'llama.embedding_length', type: 'u32', value: 32 }, // but token_embd is 64 wide
      { key: 'llama.block_count', type: 'u32', value: 1 },
      { key: 'llama.feed_forward_length', type: 'u32', value: 64 },
      { key: 'llama.attention.head_count', type: 'u32', value: 4 },
      { key: 'llama.attention.layer_norm_rms_epsilon', type: 'f32', value: 1e-5 },
      { key: 'tokenizer.ggml.model', type: 'str', value: 'llama' },
      { key: 'tokenizer.ggml.tokens', type: 'arr', itemType: 'str', values: base.vocabulary.tokens },
    ];
    const path = join(dir, 'shape.gguf');
    writeGguf(path, entries, [{ name: 'token_embd.weight', dims: [64, s.vocabSize], data: new Float32Array(64 * s.vocabSize) }]);
    const r = await checkGguf(path);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /token_embd\.weight.*expected \[32, /);

    const eps = join(dir, 'eps.gguf');
    writeGguf(
      eps,
      entries.map((e) =>
        e.key === 'llama.attention.layer_norm_rms_epsilon'
          ? { ...e, value: 0 }
          : e.key === 'llama.embedding_length'
            ? { ...e, value: 64 }
            : e,
      ),
      [{ name: 'token_embd.weight', dims: [64, s.vocabSize], data: new Float32Array(64 * s.vocabSize) }],
    );
    const re = await checkGguf(eps);
    assert.equal(re.ok ? undefined : re.key, 'llama.attention.layer_norm_rms_epsilon');
  });
});

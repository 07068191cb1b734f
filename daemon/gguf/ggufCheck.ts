/**
 * Validates a GGUF file in JS before llama.cpp sees it. llama.cpp trusts the header: a missing
 * `feed_forward_length` or `head_count` hits GGML_ASSERT and aborts the whole process (exit 134),
 * so a bad model file would kill the daemon. This reader parses the header with bounded reads
 * (never more than the file holds, never the whole file in memory) and names the file, the key
 * and what was expected. It also estimates the memory a model needs, for the pool's memory plan.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { GgufValueType, SCALAR_BYTES } from './format';

export type GgufScalar = number | bigint | boolean | string;
/** Arrays keep their element type and length; values only when short (per-layer hyper-parameters). */
export type GgufMetaValue = GgufScalar | { itemType: number; length: number; values?: GgufScalar[] };

export interface GgufSummary {
  path: string;
  fileBytes: number;
  version: number;
  architecture: string;
  tensorCount: number;
  /** Metadata key -> value (long strings and long arrays are summarised, see GgufMetaValue). */
  metadata: Map<string, GgufMetaValue>;
  tensors: Map<string, { dims: number[]; type: number }>;
  contextLength: number;
  embeddingLength: number;
  blockCount: number;
  vocabSize: number;
  /** Per layer: KV heads times (key + value) head dimension, i.e. KV-cache elements per token. */
  kvElementsPerToken: number;
}

export type GgufCheck = { ok: true; summary: GgufSummary } | { ok: false; reason: string; key?: string };

class GgufProblem extends Error {
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(message);
  }
}

const T = GgufValueType;

/** ggml type -> [block size, bytes per block], as the bundled llama.cpp (node-llama-cpp 3.21.1) reports. */
const GGML_TYPES: Record<number, [number, number]> = {
  0: [1, 4],
  1: [1, 2],
  2: [32, 18],
  3: [32, 20],
  6: [32, 22],
  7: [32, 24],
  8: [32, 34],
  9: [32, 36],
  10: [256, 84],
  11: [256, 110],
  12: [256, 144],
  13: [256, 176],
  14: [256, 210],
  15: [256, 292],
  16: [256, 66],
  17: [256, 74],
  18: [256, 98],
  19: [256, 50],
  20: [32, 18],
  21: [256, 110],
  22: [256, 82],
  23: [256, 136],
  24: [1, 1],
  25: [1, 2],
  26: [1, 4],
  27: [1, 8],
  28: [1, 8],
  29: [256, 56],
  30: [1, 2],
  34: [256, 54],
  35: [256, 66],
  39: [32, 17],
  40: [64, 36],
  41: [128, 18],
};

/** Architectures without attention or FFN hyper-parameters (recurrent models). */
const RECURRENT = new Set(['mamba', 'mamba2', 'rwkv6', 'rwkv6qwen2', 'rwkv7', 'arwkv7']);
const KEEP_ARRAY_VALUES = 4096;
const KEEP_STRING_BYTES = 1 << 20;
const CHUNK = 1 << 20;

/** Sequential reader over a file handle with a 1 MB window; every read is checked against the file size. */
class Reader {
  pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  get remaining(): number {
    return this.size - this.pos;
  }

  async need(n: number, what: string): Promise<Buffer> {
    if (n > this.remaining)
      throw new GgufProblem(`file is truncated: ${what} needs ${n} bytes at offset ${this.pos}, but the file is ${this.size} bytes`);
    const at = this.pos - this.bufStart;
    if (at < 0 || at + n > this.buf.length) {
      const len = Math.min(Math.max(n, CHUNK), this.remaining);
      this.buf = Buffer.alloc(len);
      const { bytesRead } = await this.fh.read(this.buf, 0, len, this.pos);
      if (bytesRead < n) throw new GgufProblem(`short read at offset ${this.pos}`);
      this.bufStart = this.pos;
    }
    const start = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(start, start + n);
  }

  /** Skips `count` GGUF strings, synchronously while their length prefixes are in the window. */
  async skipStrings(count: number, what: string): Promise<void> {
    for (let i = 0; i < count; i++) {
      const at = this.pos - this.bufStart;
      let len: number;
      if (at >= 0 && at + 8 <= this.buf.length) {
        len = Number(this.buf.readBigUInt64LE(at));
        this.pos += 8;
      } else len = await this.u64(`${what} length`);
      this.skip(len, what);
    }
  }

  skip(n: number, what: string): void {
    if (n > this.remaining)
      throw new GgufProblem(`file is truncated: ${what} needs ${n} bytes at offset ${this.pos}, but the file is ${this.size} bytes`);
    this.pos += n;
  }

  async u32(what: string): Promise<number> {
    return (await this.need(4, what)).readUInt32LE(0);
  }

  /** u64 as a number; anything beyond the file size is impossible for a count or a length anyway. */
  async u64(what: string): Promise<number> {
    const v = (await this.need(8, what)).readBigUInt64LE(0);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }

  async str(what: string, keep = KEEP_STRING_BYTES): Promise<string> {
    const len = await this.u64(`${what} length`);
    if (len > this.remaining)
      throw new GgufProblem(`file is truncated or corrupt: ${what} claims ${len} bytes but only ${this.remaining} remain`);
    if (len > keep) {
      this.skip(len, what);
      return '';
    }
    return (await this.need(len, what)).toString('utf8');
  }

  async scalar(type: number, what: string): Promise<GgufScalar> {
    const size = SCALAR_BYTES[type];
    if (type === T.str) return this.str(what);
    if (size === undefined) throw new GgufProblem(`${what} has unknown value type ${type}`);
    const b = await this.need(size, what);
    switch (type) {
      case T.u8:
        return b.readUInt8(0);
      case T.i8:
        return b.readInt8(0);
      case T.u16:
        return b.readUInt16LE(0);
      case T.i16:
        return b.readInt16LE(0);
      case T.u32:
        return b.readUInt32LE(0);
      case T.i32:
        return b.readInt32LE(0);
      case T.f32:
        return b.readFloatLE(0);
      case T.bool:
        return b.readUInt8(0) !== 0;
      case T.u64:
        return b.readBigUInt64LE(0);
      case T.i64:
        return b.readBigInt64LE(0);
      default:
        return b.readDoubleLE(0);
    }
  }

  async value(type: number, what: string): Promise<GgufMetaValue> {
    if (type !== T.arr) return this.scalar(type, what);
    const itemType = await this.u32(`${what} item type`);
    const length = await this.u64(`${what} length`);
    const minItem = itemType === T.str ? 8 : itemType === T.arr ? 12 : SCALAR_BYTES[itemType];
    if (minItem === undefined) throw new GgufProblem(`${what} has unknown array item type ${itemType}`);
    if (length * minItem > this.remaining)
      throw new GgufProblem(`file is truncated or corrupt: ${what} claims ${length} items but only ${this.remaining} bytes remain`);
    if (itemType !== T.str && itemType !== T.arr && length > KEEP_ARRAY_VALUES) {
      this.skip(length * minItem, what);
      return { itemType, length };
    }
    const values: GgufScalar[] = [];
    if (itemType === T.str) {
      // Keep a few; skip the rest without decoding (vocabularies and merges hold 100k+ strings).
      const kept = Math.min(length, 16);
      for (let i = 0; i < kept; i++) values.push(await this.str(`${what}[${i}]`, 256));
      await this.skipStrings(length - kept, `${what} item`);
      return { itemType, length, values };
    }
    for (let i = 0; i < length; i++) {
      if (itemType === T.arr) await this.value(T.arr, `${what}[${i}]`);
      else values.push(await this.scalar(itemType, `${what}[${i}]`));
    }
    return { itemType, length, values };
  }
}

/**
 * Reads and validates the header of a GGUF file. Never throws. `openFile` is the file system's
 * `open` unless a test wraps the handle to count the bytes read (the check must stay bounded).
 */
export async function checkGguf(path: string, openFile: (path: string) => Promise<FileHandle> = (p) => open(p, 'r')): Promise<GgufCheck> {
  const name = basename(path);
  let fh: FileHandle;
  try {
    fh = await openFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? `${name}: file not found (${path})` : `${name}: cannot open (${code ?? String(e)})` };
  }
  try {
    const { size } = await fh.stat();
    return { ok: true, summary: await parse(new Reader(fh, size), path) };
  } catch (e) {
    if (e instanceof GgufProblem) return { ok: false, reason: `${name}: ${e.message}`, key: e.key };
    return { ok: false, reason: `${name}: cannot read (${e instanceof Error ? e.message : String(e)})` };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function parse(r: Reader, path: string): Promise<GgufSummary> {
  if (r.size < 24) throw new GgufProblem(`file is too small to be a GGUF model (${r.size} bytes)`);
  const magic = (await r.need(4, 'magic')).toString('latin1');
  if (magic !== 'GGUF')
    throw new GgufProblem(`bad magic ${JSON.stringify(magic)}: not a GGUF file (expected "GGUF"; old GGML/GGJT files must be converted)`);
  const version = await r.u32('version');
  if (version === 0x03000000 || version === 0x02000000) throw new GgufProblem('big-endian GGUF files are not supported on this machine');
  if (version !== 2 && version !== 3) throw new GgufProblem(`unsupported GGUF version ${version} (expected 2 or 3)`);
  const tensorCount = await r.u64('tensor count');
  const kvCount = await r.u64('metadata count');
  // Each KV takes at least 8 (key length) + 4 (type) + 1 bytes; each tensor info at least 8+4+8+4+8.
  if (kvCount * 13 > r.remaining) throw new GgufProblem(`corrupt header: metadata count ${kvCount} cannot fit in ${r.size} bytes`);
  if (tensorCount * 32 > r.remaining) throw new GgufProblem(`corrupt header: tensor count ${tensorCount} cannot fit in ${r.size} bytes`);
  if (tensorCount === 0) throw new GgufProblem('the file has no tensors (expected model weights)');

  const metadata = new Map<string, GgufMetaValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = await r.str(`metadata key #${i}`, 65_535);
    const type = await r.u32(`type of "${key}"`);
    metadata.set(key, await r.value(type, `metadata "${key}"`));
  }

  const alignment = metadata.get('general.alignment') ?? 32;
  if (typeof alignment !== 'number' || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw new GgufProblem(`metadata "general.alignment" is ${String(alignment)} (expected a power of two)`, 'general.alignment');
  }
  const infos: { name: string; dims: number[]; type: number; offset: number }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const tname = await r.str(`tensor #${i} name`, 65_535);
    const nDims = await r.u32(`tensor "${tname}" rank`);
    if (nDims < 1 || nDims > 4) throw new GgufProblem(`tensor "${tname}" has ${nDims} dimensions (expected 1 to 4)`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(await r.u64(`tensor "${tname}" dimension`));
    infos.push({ name: tname, dims, type: await r.u32(`tensor "${tname}" type`), offset: await r.u64(`tensor "${tname}" offset`) });
  }
  const dataStart = Math.ceil(r.pos / alignment) * alignment;
  const tensors = new Map<string, { dims: number[]; type: number }>();
  for (const t of infos) {
    const layout = GGML_TYPES[t.type];
    if (!layout) throw new GgufProblem(`tensor "${t.name}" has ggml type ${t.type}, which this llama.cpp does not know`);
    const [block, bytesPerBlock] = layout;
    const ne0 = t.dims[0]!;
    if (ne0 % block !== 0) throw new GgufProblem(`tensor "${t.name}" row length ${ne0} is not a multiple of its block size ${block}`);
    const bytes = (ne0 / block) * bytesPerBlock * t.dims.slice(1).reduce((a, b) => a * b, 1);
    if (t.offset % alignment !== 0) throw new GgufProblem(`tensor "${t.name}" offset ${t.offset} is not aligned to ${alignment}`);
    if (dataStart + t.offset + bytes > r.size) {
      throw new GgufProblem(
        `tensor "${t.name}" data ends beyond the end of the file (needs ${dataStart + t.offset + bytes} bytes, file has ${r.size}: truncated download?)`,
      );
    }
    tensors.set(t.name, { dims: t.dims, type: t.type });
  }
  return { path, fileBytes: r.size, version, tensorCount, metadata, tensors, ...checkHyperParameters(metadata, tensors) };
}

interface Hyper {
  architecture: string;
  contextLength: number;
  embeddingLength: number;
  blockCount: number;
  vocabSize: number;
  kvElementsPerToken: number;
}

/** The metadata llama.cpp needs (found by removing one key at a time from a model that loads; a missing one can abort the process). */
function checkHyperParameters(m: Map<string, GgufMetaValue>, tensors: Map<string, { dims: number[] }>): Hyper {
  const arch = m.get('general.architecture');
  if (typeof arch !== 'string' || !arch)
    throw new GgufProblem('metadata "general.architecture" is missing (expected e.g. "llama")', 'general.architecture');
  const positive = (key: string, required: boolean, max = 2 ** 31): number | undefined => {
    const v = m.get(key);
    if (v === undefined) {
      if (required)
        throw new GgufProblem(`metadata "${key}" is missing (required for ${arch} models; llama.cpp may abort without it)`, key);
      return undefined;
    }
    const n = typeof v === 'number' || typeof v === 'bigint' ? Number(v) : maxOfArray(v);
    if (n === undefined || !Number.isInteger(n) || n <= 0 || n > max)
      throw new GgufProblem(`metadata "${key}" is ${describe(v)} (expected a positive integer)`, key);
    return n;
  };
  const contextLength = positive(`${arch}.context_length`, true)!;
  const embeddingLength = positive(`${arch}.embedding_length`, true, 1 << 20)!;
  const blockCount = positive(`${arch}.block_count`, true, 10_000)!;
  const attention = !RECURRENT.has(arch);
  let kvElementsPerToken = 0;
  if (attention) {
    positive(`${arch}.feed_forward_length`, true);
    const heads = positive(`${arch}.attention.head_count`, true, 1 << 16)!;
    const kvHeads = positive(`${arch}.attention.head_count_kv`, false, 1 << 16) ?? heads;
    const keyLength = positive(`${arch}.attention.key_length`, false);
    const valueLength = positive(`${arch}.attention.value_length`, false);
    const perLayer =
      typeof m.get(`${arch}.attention.head_count`) === 'object' || typeof m.get(`${arch}.attention.head_count_kv`) === 'object';
    if (!perLayer && (kvHeads > heads || heads % kvHeads !== 0)) {
      throw new GgufProblem(
        `metadata "${arch}.attention.head_count_kv" is ${kvHeads} (expected a divisor of head_count ${heads})`,
        `${arch}.attention.head_count_kv`,
      );
    }
    if (!perLayer && keyLength === undefined && embeddingLength % heads !== 0) {
      throw new GgufProblem(
        `metadata "${arch}.attention.head_count" is ${heads} (expected a divisor of embedding_length ${embeddingLength})`,
        `${arch}.attention.head_count`,
      );
    }
    const headDim = embeddingLength / heads;
    kvElementsPerToken = kvHeads * ((keyLength ?? headDim) + (valueLength ?? headDim));
    if (arch === 'llama') {
      const eps = m.get('llama.attention.layer_norm_rms_epsilon');
      if (typeof eps !== 'number' || !(eps > 0 && eps < 1)) {
        throw new GgufProblem(
          `metadata "llama.attention.layer_norm_rms_epsilon" is ${describe(eps)} (expected a small positive number such as 1e-5)`,
          'llama.attention.layer_norm_rms_epsilon',
        );
      }
    }
  }
  const tokenizer = m.get('tokenizer.ggml.model');
  if (typeof tokenizer !== 'string')
    throw new GgufProblem(
      `metadata "tokenizer.ggml.model" is ${describe(tokenizer)} (expected a tokenizer name such as "llama" or "gpt2")`,
      'tokenizer.ggml.model',
    );
  const tokens = m.get('tokenizer.ggml.tokens');
  if (typeof tokens !== 'object' || tokens === null || typeof tokens === 'bigint' || tokens.itemType !== T.str || tokens.length === 0) {
    throw new GgufProblem(
      `metadata "tokenizer.ggml.tokens" is ${describe(tokens)} (expected a non-empty array of strings)`,
      'tokenizer.ggml.tokens',
    );
  }
  const embd = tensors.get('token_embd.weight');
  if (embd && (embd.dims[0] !== embeddingLength || embd.dims[1] !== tokens.length)) {
    throw new GgufProblem(
      `tensor "token_embd.weight" is [${embd.dims.join(', ')}] (expected [${embeddingLength}, ${tokens.length}]: embedding_length by vocabulary size)`,
    );
  }
  return { architecture: arch, contextLength, embeddingLength, blockCount, vocabSize: tokens.length, kvElementsPerToken };
}

function maxOfArray(v: GgufMetaValue): number | undefined {
  if (typeof v !== 'object' || v === null || typeof v === 'bigint' || !v.values || v.values.length === 0) return undefined;
  const nums = v.values.map(Number);
  return nums.some((n) => !Number.isInteger(n) || n < 0) ? undefined : Math.max(...nums);
}

function describe(v: GgufMetaValue | undefined): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'object' && typeof v !== 'bigint') return `an array of ${v.length} items of type ${v.itemType}`;
  return `${typeof v} ${JSON.stringify(typeof v === 'bigint' ? v.toString() : v)}`;
}

/** Bytes of an f16 KV cache for `contextSize` tokens in each of `sequences` sequences. */
export function kvCacheBytes(s: GgufSummary, contextSize: number, sequences = 1): number {
  return s.blockCount * s.kvElementsPerToken * contextSize * sequences * 2;
}

/**
 * Memory a loaded model needs: the weights (the file, mmapped) plus the KV cache for the context.
 * Compute buffers are small next to these for the models this targets and are left out.
 */
export function estimateMemoryBytes(s: GgufSummary, contextSize: number, sequences = 1): number {
  return s.fileBytes + kvCacheBytes(s, contextSize, sequences);
}

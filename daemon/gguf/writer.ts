/**
 * A dependency-free GGUF v3 writer, just enough for generated tiny models (tests, `ensemble demo`):
 * scalar and array metadata, F32 and F16 tensors, 32-byte alignment. Layout per the GGUF spec: header, metadata KVs, tensor
 * infos, padding, then each tensor's data at an aligned offset relative to the data section.
 */
import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { GgufValueType } from './format';

export { GgufValueType };

export type GgufScalarType = Exclude<keyof typeof GgufValueType, 'arr'>;
type Scalar = number | bigint | boolean | string;

export type GgufEntry =
  { key: string; type: GgufScalarType; value: Scalar } | { key: string; type: 'arr'; itemType: GgufScalarType; values: readonly Scalar[] };

export interface GgufTensor {
  name: string;
  /** ggml order: ne0 (the innermost, input dimension) first. */
  dims: readonly number[];
  data: Float32Array;
  type?: 'f32' | 'f16';
}

const GGML_TYPE = { f32: 0, f16: 1 } as const;

class Out {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  private num(size: number, write: (b: Buffer) => void): void {
    const b = Buffer.alloc(size);
    write(b);
    this.push(b);
  }
  u32(v: number): void {
    this.num(4, (b) => b.writeUInt32LE(v));
  }
  u64(v: number | bigint): void {
    this.num(8, (b) => b.writeBigUInt64LE(BigInt(v)));
  }
  str(s: string): void {
    const e = Buffer.from(s, 'utf8');
    this.u64(e.length);
    this.push(e);
  }
  scalar(t: GgufScalarType, v: Scalar): void {
    const n = typeof v === 'bigint' ? v : Number(v);
    switch (t) {
      case 'u8':
        return this.num(1, (b) => b.writeUInt8(Number(n)));
      case 'i8':
        return this.num(1, (b) => b.writeInt8(Number(n)));
      case 'u16':
        return this.num(2, (b) => b.writeUInt16LE(Number(n)));
      case 'i16':
        return this.num(2, (b) => b.writeInt16LE(Number(n)));
      case 'u32':
        return this.u32(Number(n));
      case 'i32':
        return this.num(4, (b) => b.writeInt32LE(Number(n)));
      case 'f32':
        return this.num(4, (b) => b.writeFloatLE(Number(n)));
      case 'bool':
        return this.num(1, (b) => b.writeUInt8(v ? 1 : 0));
      case 'str':
        return this.str(String(v));
      case 'u64':
        return this.u64(BigInt(n));
      case 'i64':
        return this.num(8, (b) => b.writeBigInt64LE(BigInt(n)));
      case 'f64':
        return this.num(8, (b) => b.writeDoubleLE(Number(n)));
    }
  }
  pad(align: number): void {
    const r = this.length % align;
    if (r) this.push(Buffer.alloc(align - r));
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** IEEE half from a float (round toward zero; subnormals flush to zero, plenty for fixtures). */
const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
export function toF16(val: number): number {
  f32Scratch[0] = val;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 112;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | ((x & 0x7fffff) >>> 13);
}

/** A tensor described by its header entry only (any ggml type), for header-only files. */
export interface GgufTensorInfo {
  name: string;
  dims: readonly number[];
  /** ggml type id (0 f32, 1 f16, 8 q8_0, 12 q4_K, 14 q6_K, ...). */
  ggmlType: number;
  /** Bytes of its data in the file. */
  bytes: number;
}

/** Header, metadata and tensor infos, padded to the data section; `dataBytes` is the aligned data section's size. */
export function encodeGgufHeader(
  entries: readonly GgufEntry[],
  tensors: readonly GgufTensorInfo[],
  alignment = 32,
): { header: Buffer; dataBytes: number } {
  const h = new Out();
  h.push(Buffer.from('GGUF', 'latin1'));
  h.u32(3);
  h.u64(tensors.length);
  h.u64(entries.length);
  for (const e of entries) {
    h.str(e.key);
    h.u32(GgufValueType[e.type]);
    if (e.type === 'arr') {
      h.u32(GgufValueType[e.itemType]);
      h.u64(e.values.length);
      for (const v of e.values) h.scalar(e.itemType, v);
    } else h.scalar(e.type, e.value);
  }
  let offset = 0;
  for (const t of tensors) {
    h.str(t.name);
    h.u32(t.dims.length);
    for (const d of t.dims) h.u64(d);
    h.u32(t.ggmlType);
    h.u64(offset);
    offset = Math.ceil((offset + t.bytes) / alignment) * alignment;
  }
  h.pad(alignment);
  return { header: h.concat(), dataBytes: offset };
}

export function encodeGguf(entries: readonly GgufEntry[], tensors: readonly GgufTensor[], alignment = 32): Buffer {
  const datas = tensors.map((t) =>
    (t.type ?? 'f32') === 'f32'
      ? Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)
      : Buffer.from(Uint16Array.from(t.data, toF16).buffer),
  );
  const infos = tensors.map((t, i) => ({ name: t.name, dims: t.dims, ggmlType: GGML_TYPE[t.type ?? 'f32'], bytes: datas[i]!.length }));
  const out = new Out();
  out.push(encodeGgufHeader(entries, infos, alignment).header);
  for (const b of datas) {
    out.push(b);
    out.pad(alignment);
  }
  return out.concat();
}

/**
 * A full-size GGUF whose tensor data is a hole (a sparse file: the size of a 7B model, a few MB
 * on disk): enough for everything that reads headers (memory planning), not for loading.
 */
export function writeSparseGguf(path: string, entries: readonly GgufEntry[], tensors: readonly GgufTensorInfo[]): number {
  const { header, dataBytes } = encodeGgufHeader(entries, tensors);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    ftruncateSync(fd, header.length + dataBytes);
  } finally {
    closeSync(fd);
  }
  return header.length + dataBytes;
}

export function writeGguf(path: string, entries: readonly GgufEntry[], tensors: readonly GgufTensor[]): number {
  const buf = encodeGguf(entries, tensors);
  writeFileSync(path, buf);
  return buf.length;
}

/**
 * The GGUF file format's metadata value tags, shared by the header check (ggufCheck.ts, which reads
 * every model before llama.cpp does) and the writer (writer.ts), so both speak the same format.
 */

/** GGUF metadata value types (the numeric tags are the file format's). */
export const GgufValueType = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  str: 8,
  arr: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const;

const T = GgufValueType;

/** Bytes of each fixed-size value type (strings and arrays have a length prefix instead). */
export const SCALAR_BYTES: Readonly<Record<number, number>> = {
  [T.u8]: 1,
  [T.i8]: 1,
  [T.u16]: 2,
  [T.i16]: 2,
  [T.u32]: 4,
  [T.i32]: 4,
  [T.f32]: 4,
  [T.bool]: 1,
  [T.u64]: 8,
  [T.i64]: 8,
  [T.f64]: 8,
};

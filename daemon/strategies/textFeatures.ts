/**
 * Input features a router reads from the text itself, hashed into a fixed number of buckets so
 * that the fitted model is a fixed-size vector whatever the vocabulary: word unigrams and bigrams,
 * character trigrams, length, code and language markers, and the category when one is given.
 * Pure: the same text gives the same sparse vector on every machine (FNV-1a hashing).
 */

/** A sparse vector: bucket indices (ascending, distinct) and their values, L2-normalised. */
export interface SparseVector {
  index: number[];
  value: number[];
}

export const DEFAULT_FEATURE_BITS = 14;

/** 32-bit FNV-1a of a string's UTF-16 code units. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Only this much of the text is read: the router must stay light on long inputs. */
const MAX_CHARS = 4_000;

/** Named markers, each one feature; the weights they get are learned per member. */
function markers(text: string): string[] {
  const out: string[] = [];
  const len = text.length;
  out.push(`len:${len < 80 ? 's' : len < 300 ? 'm' : len < 1000 ? 'l' : 'xl'}`);
  const digits = (text.match(/\d/g) ?? []).length;
  if (digits > 0) out.push(`digits:${digits < 5 ? 'few' : digits < 20 ? 'some' : 'many'}`);
  if (/[=+*/^]\s*[\d(a-z]/i.test(text)) out.push('mark:formula');
  if (/```|\bfunction\b|\bdef\s+\w+\(|=>|[{};]\s*$|\breturn\b|#include|\bclass\s+\w+/m.test(text)) out.push('mark:code');
  if (/https?:\/\//.test(text)) out.push('mark:url');
  if (/\$\s?\d/.test(text)) out.push('mark:money');
  if (/[\u0400-\u04ff]/.test(text)) out.push('script:cyrillic');
  if (/[\u4e00-\u9fff\u3040-\u30ff]/.test(text)) out.push('script:cjk');
  if (/[\u0600-\u06ff]/.test(text)) out.push('script:arabic');
  if (/[àâçéèêëîïôûùüÿñæœäöß]/i.test(text)) out.push('script:latin-accented');
  return out;
}

/**
 * The feature vector of an input. Every token adds 1 to its bucket; groups are scaled so that
 * words, character trigrams and markers weigh comparably whatever the text length; the whole
 * vector is L2-normalised, plus a constant bias bucket 0 of value 1 (before normalisation).
 */
export function textFeatures(text: string, category: string | null | undefined, bits = DEFAULT_FEATURE_BITS): SparseVector {
  const size = 2 ** bits;
  const acc = new Map<number, number>();
  const add = (key: string, v: number) => {
    const b = 1 + (fnv1a(key) % (size - 1));
    acc.set(b, (acc.get(b) ?? 0) + v);
  };
  const t = text.slice(0, MAX_CHARS).toLowerCase();
  const words = t.match(/[\p{L}\p{N}]+/gu) ?? [];
  const wordScale = 1 / Math.sqrt(Math.max(1, words.length));
  for (let i = 0; i < words.length; i++) {
    add(`w:${words[i]}`, wordScale);
    if (i > 0) add(`b:${words[i - 1]} ${words[i]}`, wordScale);
  }
  const squeezed = t.replace(/\s+/g, ' ');
  const gramScale = 1 / Math.sqrt(Math.max(1, squeezed.length));
  for (let i = 0; i + 3 <= squeezed.length; i++) add(`c:${squeezed.slice(i, i + 3)}`, 0.5 * gramScale);
  for (const m of markers(text)) add(m, 1);
  if (category) add(`cat:${category}`, 2);
  let norm = 0;
  for (const v of acc.values()) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  const index = [0, ...[...acc.keys()].sort((a, b) => a - b)];
  const value = [1, ...index.slice(1).map((i) => acc.get(i)! / norm)];
  return { index, value };
}

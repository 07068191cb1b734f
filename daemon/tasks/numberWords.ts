/**
 * Numbers written as words ("twenty-one", "one hundred and five", "3 million") as digits. The words
 * come from members: the tables are Maps, because `w in {...}` also finds Object.prototype's
 * members ("constructor", "toString") and would count them as numbers.
 */

const UNITS = new Map<string, number>(
  Object.entries({
    zero: 0,
    one: 1,
    two: 2,
    three: 3,
    four: 4,
    five: 5,
    six: 6,
    seven: 7,
    eight: 8,
    nine: 9,
    ten: 10,
    eleven: 11,
    twelve: 12,
    thirteen: 13,
    fourteen: 14,
    fifteen: 15,
    sixteen: 16,
    seventeen: 17,
    eighteen: 18,
    nineteen: 19,
    twenty: 20,
    thirty: 30,
    forty: 40,
    fifty: 50,
    sixty: 60,
    seventy: 70,
    eighty: 80,
    ninety: 90,
  }),
);
const SCALES = new Map<string, number>(Object.entries({ hundred: 100, thousand: 1e3, million: 1e6, billion: 1e9, trillion: 1e12 }));

/** The value of a run of number words, or null when the run is not a number ("and" alone, "hundred" alone...). */
function valueOf(words: readonly string[]): number | null {
  let total = 0;
  let current = 0;
  let any = false;
  for (const w of words) {
    if (w === 'and') continue;
    if (/^\d+(\.\d+)?$/.test(w)) {
      current += Number(w);
      any = true;
    } else if (UNITS.has(w)) {
      current += UNITS.get(w)!;
      any = true;
    } else if (w === 'hundred') {
      current = (any ? current : 1) * 100;
      any = true;
    } else if (SCALES.has(w)) {
      total += (any ? current : 1) * SCALES.get(w)!;
      current = 0;
      any = true;
    } else return null;
  }
  return any ? total + current : null;
}

type Kind = 'digits' | 'unit' | 'teen' | 'tens' | 'scale' | 'and';

function kindOf(w: string): Kind | null {
  if (/^\d+(\.\d+)?$/.test(w)) return 'digits';
  if (w === 'and') return 'and';
  if (SCALES.has(w)) return 'scale';
  const v = UNITS.get(w);
  if (v === undefined) return null;
  return v < 10 ? 'unit' : v < 20 ? 'teen' : 'tens';
}

/** Whether `next` may follow `prev` inside one number ("twenty one" yes, "one two" no, "3 million" yes). */
function continues(prev: Kind, next: Kind): boolean {
  if (next === 'scale') return prev !== 'and' && prev !== 'scale' ? true : prev === 'scale';
  if (next === 'digits') return false;
  if (next === 'and') return prev === 'scale';
  if (prev === 'tens') return next === 'unit';
  return prev === 'scale' || prev === 'and';
}

/**
 * Replaces every run of number words in lower-case `text` by its digits: "twenty-one apples" ->
 * "21 apples", "3 million" -> "3000000", "one hundred and five" -> "105". Words that cannot form
 * one number ("one two") stay separate numbers.
 */
export function numberWordsToDigits(text: string): string {
  const words = text
    .replace(/([a-z])-([a-z])/g, '$1 $2')
    .split(/\s+/)
    .filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < words.length;) {
    const first = kindOf(words[i]!);
    if (first === null || first === 'and') {
      out.push(words[i]!);
      i++;
      continue;
    }
    let j = i + 1;
    let prev: Kind = first;
    while (j < words.length) {
      const k = kindOf(words[j]!);
      if (k === null || !continues(prev, k)) break;
      prev = k;
      j++;
    }
    if (prev === 'and') j--; // "... and" with nothing after belongs to the text
    const value = valueOf(words.slice(i, j));
    if (value === null || (first === 'scale' && j === i + 1)) {
      out.push(words[i]!);
      i++;
      continue;
    }
    out.push(formatNumber(value));
    i = j;
  }
  return out.join(' ');
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

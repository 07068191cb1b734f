/**
 * Trimming a set of characters from the ends of a string with a loop. An end-anchored pattern such
 * as /[.,;]+$/ is retried from every start position inside a long run that is not at the end
 * (quadratic in the run), and the texts trimmed here come from members and clients.
 */

/** The characters to trim: a string of them, or a test for one. */
export type CharSet = string | ((c: string) => boolean);

const tester = (chars: CharSet) => (typeof chars === 'string' ? (c: string) => chars.includes(c) : chars);

/** `s` without any of `chars` at its end. */
export function trimEndChars(s: string, chars: CharSet): string {
  const trims = tester(chars);
  let end = s.length;
  while (end > 0 && trims(s[end - 1]!)) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** `s` without any of `chars` at its start. */
export function trimStartChars(s: string, chars: CharSet): string {
  const trims = tester(chars);
  let start = 0;
  while (start < s.length && trims(s[start]!)) start++;
  return start === 0 ? s : s.slice(start);
}

/** Lines trimmed and joined by single spaces (error messages shown on one line), empty lines dropped. */
export function oneLine(s: string): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

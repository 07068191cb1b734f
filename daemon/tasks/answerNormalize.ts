/**
 * Short answers in one canonical form before they are voted on, so that "Paris", "paris." and
 * "The answer is Paris" count as one answer, "twenty-one" as "21", "5 March 2024" as "2024-03-05",
 * "5 kilometres" as "5 km", and "B" (or "(b)") as the second option when the question gives options.
 * Pure: table-tested in test/unit/answerNormalize.test.ts.
 */
import { LIMITS } from '../../protocol/limits';
import { trimEndChars, trimStartChars } from '../../common/trimChars';
import { formatNumber, numberWordsToDigits } from './numberWords';

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH_RE = `(${MONTHS.map((m) => `${m}|${m.slice(0, 3)}`).join('|')})\\.?`;

/** Unit spellings -> one symbol (singular, plural, British and American spellings). A Map: the keys looked up are a member's words. */
const UNIT_ALIASES = new Map<string, string>();
for (const [symbol, names] of Object.entries({
  km: ['km', 'kms', 'kilometer', 'kilometers', 'kilometre', 'kilometres'],
  m: ['m', 'meter', 'meters', 'metre', 'metres'],
  cm: ['cm', 'centimeter', 'centimeters', 'centimetre', 'centimetres'],
  mm: ['mm', 'millimeter', 'millimeters', 'millimetre', 'millimetres'],
  kg: ['kg', 'kgs', 'kilogram', 'kilograms', 'kilogramme', 'kilogrammes'],
  g: ['g', 'gram', 'grams', 'gramme', 'grammes'],
  lb: ['lb', 'lbs', 'pound', 'pounds'],
  mi: ['mi', 'mile', 'miles'],
  ft: ['ft', 'foot', 'feet'],
  l: ['l', 'liter', 'liters', 'litre', 'litres'],
  s: ['s', 'sec', 'secs', 'second', 'seconds'],
  min: ['min', 'mins', 'minute', 'minutes'],
  h: ['h', 'hr', 'hrs', 'hour', 'hours'],
  '%': ['%', 'percent', 'per cent', 'pct'],
  '°c': ['°c', 'c', 'celsius', 'degrees celsius', 'degree celsius'],
  '°f': ['°f', 'f', 'fahrenheit', 'degrees fahrenheit'],
  usd: ['usd', 'dollar', 'dollars', 'us dollars'],
  eur: ['eur', 'euro', 'euros'],
}))
  for (const n of names) UNIT_ALIASES.set(n, symbol);

/** Leading phrases models put before the answer itself. */
const PREAMBLE = /^(?:final answer|answer|the answer is|the correct answer is|it is|it's|a:)\s*(?:[:\-–]\s*)?/i;

export interface NormalizeOptions {
  /** The choices the question offers; answers are mapped onto them. */
  options?: readonly string[];
}

/** The canonical form of `raw`, or null when nothing is left of it. */
export function normalizeAnswer(raw: string, opts: NormalizeOptions = {}): string | null {
  const cleaned = cleanup(raw);
  if (!cleaned) return null;
  if (opts.options && opts.options.length > 0) {
    const option = matchOption(cleaned, opts.options);
    if (option !== null) return option;
  }
  return canonical(cleaned);
}

/**
 * The first line without markup, quotes, preamble and final full stop; NFKC, lower case. The reply
 * is read only to LIMITS.maxMemberReplyChars and the line cut to LIMITS.maxAnswerChars; the end
 * trims are loops (an end-anchored /[.!;,]+$/ is quadratic in a long run of punctuation).
 */
function cleanup(raw: string): string {
  let t = firstLine(raw.slice(0, LIMITS.maxMemberReplyChars)).slice(0, LIMITS.maxAnswerChars);
  t = t.normalize('NFKC').trim();
  t = t.replace(/[*_`]+/g, '').trim();
  for (let i = 0; i < 3; i++) t = t.replace(PREAMBLE, '').trim();
  t = trimEndChars(trimStartChars(t, `"'“‘«`), `"'”’»`).trim();
  t = trimEndChars(t, '.!;,').trim();
  return t.toLowerCase();
}

/** The first line that is not blank (a scan: the text may be megabytes of newlines). */
function firstLine(text: string): string {
  for (let start = 0; start < text.length;) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? text.length : end);
    if (line.trim()) return line.endsWith('\r') ? line.slice(0, -1) : line;
    if (end < 0) break;
    start = end + 1;
  }
  return '';
}

/** Dates, numbers with units, or text without articles and punctuation. */
function canonical(t: string): string | null {
  const date = parseDate(t);
  if (date) return date;
  const quantity = parseQuantity(t);
  if (quantity) return quantity;
  const text = numberWordsToDigits(
    t
      .replace(/\b((?:\p{L}\.){2,})/gu, (acronym) => acronym.replace(/\./g, '')) // "u.s.a." -> "usa"
      .replace(/(\d),(?=\d{3}\b)/g, '$1')
      .replace(/[^\p{L}\p{N}\s.%°$€-]/gu, ' ')
      .replace(/(?<!\d)[.](?!\d)/g, ' ')
      .replace(/-/g, ' '),
  )
    .split(/\s+/)
    .filter((w) => w && !['a', 'an', 'the'].includes(w))
    .join(' ');
  return text || null;
}

const pad = (n: number) => String(n).padStart(2, '0');

function ymd(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1 || d > 31) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1) return null; // 31 February
  return `${y}-${pad(m)}-${pad(d)}`;
}

/**
 * The date patterns built from the month names, compiled once. Exported so that the ReDoS
 * regression test can lint their sources: ESLint sees only literal patterns.
 */
export const DATE_PATTERNS = {
  dayMonthYear: new RegExp(`^(?:the\\s+)?(\\d{1,2})(?:st|nd|rd|th)?(?:\\s+of)?\\s+${MONTH_RE},?\\s+(\\d{4})$`),
  monthDayYear: new RegExp(`^${MONTH_RE}\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})$`),
  monthYear: new RegExp(`^${MONTH_RE}\\s+(\\d{4})$`),
};

/** ISO, "5 March 2024", "March 5th, 2024", "03/05/2024" (month first unless the first part is over 12), "5.3.2024". */
export function parseDate(t: string): string | null {
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:t[\d:.z+-]*)?$/.exec(t);
  if (m) return ymd(+m[1]!, +m[2]!, +m[3]!);
  m = DATE_PATTERNS.dayMonthYear.exec(t);
  if (m) return ymd(+m[3]!, monthIndex(m[2]!), +m[1]!);
  m = DATE_PATTERNS.monthDayYear.exec(t);
  if (m) return ymd(+m[3]!, monthIndex(m[1]!), +m[2]!);
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  if (m) return +m[1]! > 12 ? ymd(+m[3]!, +m[2]!, +m[1]!) : ymd(+m[3]!, +m[1]!, +m[2]!);
  m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(t);
  if (m) return ymd(+m[3]!, +m[2]!, +m[1]!);
  m = DATE_PATTERNS.monthYear.exec(t);
  if (m) return `${m[2]}-${pad(monthIndex(m[1]!))}`;
  return null;
}

function monthIndex(name: string): number {
  const n = name.replace('.', '');
  return MONTHS.findIndex((m) => m === n || m.slice(0, 3) === n) + 1;
}

/** "1,234", "3.0", "twenty-one", "5 kilometres", "$5", "50 per cent": the number, then the unit symbol. */
export function parseQuantity(t: string): string | null {
  let s = t.replace(/(\d)[,\u202f\u00a0 ](?=\d{3}\b)/g, '$1').replace(/^approximately\s+|^about\s+|^around\s+|^~\s*/, '');
  let currency: string | undefined;
  // A prefix, then the rest sliced off: /^([$€])\s*(.*)$/ and /^(number)\s*(.*)$/ let \s* and \d+ trade with .*.
  if (s.startsWith('$') || s.startsWith('€')) {
    currency = s[0] === '$' ? 'usd' : 'eur';
    s = s.slice(1).trimStart();
  }
  s = numberWordsToDigits(s);
  const m = /^-?\d+(?:\.\d+)?/.exec(s);
  if (!m) return null;
  const value = formatNumber(Number(m[0]));
  const rest = s.slice(m[0].length).trim();
  if (!rest) return currency ? `${value} ${currency}` : value;
  const unit = UNIT_ALIASES.get(rest) ?? UNIT_ALIASES.get(rest.replace(/^degrees?\s+/, 'degrees '));
  if (unit === undefined || (currency && unit !== currency)) return null;
  return unit === '%' ? `${value}%` : `${value} ${unit}`;
}

/** The option `answer` names: its letter ("b", "(b)", "b)", "option b"), its text, or the one option it contains. */
function matchOption(answer: string, options: readonly string[]): string | null {
  const normalized = options.map((o) => canonical(cleanup(o)) ?? o.toLowerCase());
  const letter = /^(?:option\s+)?\(?([a-z])\)?(?:[.:)]|\s|$)/.exec(answer);
  if (letter && (answer.length <= 3 || /^(?:option\s+)?\(?[a-z]\)?[.:)]?\s/.test(answer) || /^option\s+[a-z]$/.test(answer))) {
    const i = letter[1]!.charCodeAt(0) - 97;
    if (i >= 0 && i < options.length) return normalized[i]!;
  }
  const mine = canonical(answer);
  if (mine === null) return null; // nothing left of the answer: it names no option (not even one that normalizes to nothing)
  const exact = normalized.indexOf(mine);
  if (exact >= 0) return normalized[exact]!;
  const contained = normalized.filter((o) => o !== '' && containsWords(mine, o));
  return contained.length === 1 ? contained[0]! : null;
}

/** Whether `needle` occurs in `haystack` between spaces or the ends (indexOf, not a RegExp built from a client's option). */
function containsWords(haystack: string, needle: string): boolean {
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    const before = at === 0 ? ' ' : haystack[at - 1]!;
    const after = at + needle.length === haystack.length ? ' ' : haystack[at + needle.length]!;
    if (/\s/.test(before) && /\s/.test(after)) return true;
  }
  return false;
}

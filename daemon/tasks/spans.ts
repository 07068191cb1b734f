/**
 * Entity spans voted across members. Each member's spans are normalized (Unicode NFKC, case,
 * whitespace, punctuation) and aligned to the places they occur in the input, at word boundaries;
 * members agree on a span when they name the same type at the same place, whatever their casing or
 * spacing. A span is kept when a quorum of the members that answered found it; among kept spans
 * that overlap, the better supported (then the longer) wins. Pure: table-tested in
 * test/unit/spans.test.ts.
 *
 * The input and the spans are hostile (a span such as "a" occurs everywhere in a 200k-character
 * text): each span is aligned to at most `maxOccurrencesPerSpan` places, at most `maxKeptSpans`
 * and `maxRejectedSpans` are returned, and overlaps are decided by binary search among the kept
 * spans (sorted, disjoint), so the work is O(n log n) in the places found. What was cut is counted.
 */
import { LIMITS } from '../../protocol/limits';
import type { ProposedSpan, Span } from '../../protocol/tasks';

export interface MemberSpans {
  member: string;
  spans: readonly ProposedSpan[];
}

export interface SpanVote {
  kept: Span[];
  rejected: Span[];
  /** Per member: spans that are nowhere in the input, or of a type that was not asked for. */
  unaligned: Record<string, number>;
  /** Members needed to keep a span. */
  needed: number;
  /** What the bounds cut: spans aligned to only their first places, and kept or rejected spans not returned. */
  dropped: { occurrences: number; kept: number; rejected: number };
}

export interface SpanBounds {
  maxOccurrencesPerSpan: number;
  maxKeptSpans: number;
  maxRejectedSpans: number;
}

const DEFAULT_BOUNDS: SpanBounds = {
  maxOccurrencesPerSpan: LIMITS.maxOccurrencesPerSpan,
  maxKeptSpans: LIMITS.maxKeptSpans,
  maxRejectedSpans: LIMITS.maxRejectedSpans,
};

interface Normalized {
  text: string;
  /**
   * For each character of `text`: the [start, end) of the input characters it came from, as two
   * parallel arrays of small integers (one [start, end] pair per character was a 150k-object
   * allocation for a long text, and the collector's pause showed in the event loop).
   */
  fromStart: number[];
  fromEnd: number[];
}

/** Lower case, NFKC, punctuation dropped (dashes and slashes become spaces), whitespace collapsed, trimmed. */
export function normalizeWithMap(input: string): Normalized {
  // Characters collect in an array and are joined once: `text.endsWith` on a string grown by `+=`
  // flattens it every time, which made this quadratic (150k characters took seconds).
  const parts: string[] = [];
  const fromStart: number[] = [];
  const fromEnd: number[] = [];
  let lastIsSpace = true; // no leading space
  const emit = (c: string, start: number, end: number): void => {
    if (isSpaceLike(c)) {
      if (lastIsSpace) return;
      parts.push(' ');
      fromStart.push(start);
      fromEnd.push(end);
      lastIsSpace = true;
    } else if (isKept(c)) {
      parts.push(c);
      // One entry per UTF-16 unit of `text` (an astral character is two), so indexes into `text` index `from`.
      for (let unit = 0; unit < c.length; unit++) {
        fromStart.push(start);
        fromEnd.push(end);
      }
      lastIsSpace = false;
    }
  };
  for (let i = 0; i < input.length;) {
    const code = input.charCodeAt(i);
    // ASCII, most of any text, goes through a table: no string is made per character.
    if (code < 128) {
      emit(ASCII_LOWER[code]!, i, i + 1);
      i++;
      continue;
    }
    const point = input.codePointAt(i)!;
    const width = point > 0xffff ? 2 : 1;
    for (const c of String.fromCodePoint(point).normalize('NFKC').toLowerCase()) emit(c, i, i + width);
    i += width;
  }
  if (parts.length > 0 && lastIsSpace) {
    parts.pop();
    fromStart.pop();
    fromEnd.pop();
  }
  return { text: parts.join(''), fromStart, fromEnd };
}

/** The class of each ASCII character, worked out once: most input is ASCII, and three Unicode-property tests per character dominate. */
const ASCII_SPACE: boolean[] = [];
const ASCII_KEPT: boolean[] = [];
const ASCII_LOWER: string[] = [];
for (let code = 0; code < 128; code++) {
  const c = String.fromCharCode(code);
  ASCII_LOWER.push(c.toLowerCase());
  ASCII_SPACE.push(/\s|[\p{Pd}/]/u.test(c));
  ASCII_KEPT.push(!/[\p{P}\p{S}]/u.test(c) || /[%$€£°+]/u.test(c));
}

function isSpaceLike(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 128 ? ASCII_SPACE[code]! : /\s|[\p{Pd}/]/u.test(c);
}

/** Letters, digits and the symbols that carry meaning in an entity (%, $, €, £, °, +); other punctuation is dropped. */
function isKept(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 128 ? ASCII_KEPT[code]! : !/[\p{P}\p{S}]/u.test(c) || /[%$€£°+]/u.test(c);
}

export function spanKey(text: string): string {
  return normalizeWithMap(text).text;
}

/** The places `spanText` occurs in the (normalized) input, as input offsets, at word boundaries: the first `max` of them. */
export function locate(
  input: Normalized,
  spanText: string,
  max: number = LIMITS.maxOccurrencesPerSpan,
): Array<{ start: number; end: number }> {
  const key = spanKey(spanText.slice(0, LIMITS.maxSpanChars));
  if (!key) return [];
  const out: Array<{ start: number; end: number }> = [];
  for (let at = input.text.indexOf(key); at >= 0 && out.length < max; at = input.text.indexOf(key, at + 1)) {
    const before = at === 0 ? ' ' : input.text[at - 1]!;
    const after = at + key.length >= input.text.length ? ' ' : input.text[at + key.length]!;
    if (isWordChar(before) && isWordChar(key[0]!)) continue;
    if (isWordChar(after) && isWordChar(key.at(-1)!)) continue;
    out.push({ start: input.fromStart[at]!, end: input.fromEnd[at + key.length - 1]! });
  }
  return out;
}

function isWordChar(c: string): boolean {
  return /[\p{L}\p{N}]/u.test(c);
}

/** Members needed out of `voters`: at least `quorum` of them, or more than half when no quorum is given. */
export function neededVotes(voters: number, quorum?: number): number {
  if (voters <= 0) return 1;
  return quorum === undefined ? Math.floor(voters / 2) + 1 : Math.max(1, Math.ceil(quorum * voters - 1e-9));
}

/** One member's spans at their places in the input: what the vote counts, worked out per member. */
export interface AlignedSpans {
  /** Distinct (type, place) pairs this member found: a span listed twice still votes once. */
  places: Array<{ type: string; start: number; end: number }>;
  /** Spans that are nowhere in the input, or of a type that was not asked for. */
  unaligned: number;
  /** Spans aligned to only their first `maxOccurrencesPerSpan` places. */
  occurrencesCut: number;
}

/** The input prepared once for aligning every member's spans. */
export interface AlignmentInput {
  normalized: Normalized;
  typeOf: Map<string, string>;
}

export function alignmentInput(input: string, types: readonly string[]): AlignmentInput {
  return { normalized: normalizeWithMap(input), typeOf: new Map(types.map((t) => [spanKey(t), t])) };
}

/**
 * One member's spans aligned to the input. Separate from the vote so that the orchestrator runs it
 * inside the member's own call: whatever a hostile list of spans makes it throw costs that member
 * its vote only.
 */
export function alignSpans(
  on: AlignmentInput,
  spans: readonly ProposedSpan[],
  maxOccurrencesPerSpan: number = LIMITS.maxOccurrencesPerSpan,
): AlignedSpans {
  const out: AlignedSpans = { places: [], unaligned: 0, occurrencesCut: 0 };
  const seen = new Set<string>();
  for (const s of spans) {
    const type = on.typeOf.get(spanKey(s.type));
    // One more than the bound: finding it tells that the span was cut.
    const places = type === undefined ? [] : locate(on.normalized, s.text, maxOccurrencesPerSpan + 1);
    if (places.length > maxOccurrencesPerSpan) {
      places.pop();
      out.occurrencesCut++;
    }
    if (places.length === 0) out.unaligned++;
    for (const p of places) {
      const key = `${type}\u0000${p.start}:${p.end}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.places.push({ type: type!, ...p });
    }
  }
  return out;
}

export function voteSpans(
  input: string,
  types: readonly string[],
  members: readonly MemberSpans[],
  quorum?: number,
  bounds: SpanBounds = DEFAULT_BOUNDS,
): SpanVote {
  const on = alignmentInput(input, types);
  return voteAligned(
    input,
    members.map((m) => ({ member: m.member, aligned: alignSpans(on, m.spans, bounds.maxOccurrencesPerSpan) })),
    quorum,
    bounds,
  );
}

/** The vote over members' spans already aligned (alignSpans): each place is kept by a quorum, overlaps go to the stronger. */
export function voteAligned(
  input: string,
  members: ReadonlyArray<{ member: string; aligned: AlignedSpans }>,
  quorum?: number,
  bounds: SpanBounds = DEFAULT_BOUNDS,
): SpanVote {
  const found = new Map<string, { type: string; start: number; end: number; members: string[] }>();
  const unaligned: Record<string, number> = {};
  let occurrences = 0;
  for (const { member, aligned } of members) {
    unaligned[member] = aligned.unaligned;
    occurrences += aligned.occurrencesCut;
    for (const p of aligned.places) {
      const key = `${p.type}\u0000${p.start}:${p.end}`;
      const entry = found.get(key) ?? { ...p, members: [] };
      entry.members.push(member);
      found.set(key, entry);
    }
  }
  const voters = members.length;
  const needed = neededVotes(voters, quorum);
  const spans: Span[] = [...found.values()].map((f) => ({
    type: f.type,
    text: input.slice(f.start, f.end),
    start: f.start,
    end: f.end,
    agreement: voters > 0 ? f.members.length / voters : 0,
    members: f.members,
  }));
  const byStrength = [...spans].sort(
    (a, b) => b.members.length - a.members.length || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept = new DisjointSpans();
  const rejected: Span[] = [];
  const dropped = { occurrences, kept: 0, rejected: 0 };
  for (const s of byStrength) {
    if (s.members.length >= needed && !kept.overlaps(s)) {
      if (kept.size < bounds.maxKeptSpans) kept.add(s);
      else dropped.kept++;
    } else if (rejected.length < bounds.maxRejectedSpans) rejected.push(s);
    else dropped.rejected++;
  }
  const inOrder = (a: Span, b: Span) => a.start - b.start || a.end - b.end || a.type.localeCompare(b.type);
  return { kept: kept.inOrder(), rejected: rejected.sort(inOrder), unaligned, needed, dropped };
}

/**
 * Kept spans: disjoint, so sorted by start they are sorted by end too, and the one span that can
 * overlap [start, end) is the last one starting before `end` (binary search). Adding splices into
 * an array bounded by `maxKeptSpans`.
 */
class DisjointSpans {
  private readonly spans: Span[] = [];

  get size(): number {
    return this.spans.length;
  }

  /** Index of the first span starting at or after `at`. */
  private firstFrom(at: number): number {
    let lo = 0;
    let hi = this.spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.spans[mid]!.start < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  overlaps(s: { start: number; end: number }): boolean {
    const before = this.spans[this.firstFrom(s.end) - 1];
    return before !== undefined && before.end > s.start;
  }

  add(s: Span): void {
    this.spans.splice(this.firstFrom(s.start), 0, s);
  }

  inOrder(): Span[] {
    return [...this.spans];
  }
}

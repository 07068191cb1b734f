/**
 * Entity spans voted across members. Each member's spans are normalized (Unicode NFKC, case,
 * whitespace, punctuation) and aligned to every place they occur in the input, at word boundaries;
 * members agree on a span when they name the same type at the same place, whatever their casing or
 * spacing. A span is kept when a quorum of the members that answered found it; among kept spans
 * that overlap, the better supported (then the longer) wins. Pure: table-tested in
 * test/unit/spans.test.ts.
 */
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
}

interface Normalized {
  text: string;
  /** For each character of `text`: the [start, end) of the input characters it came from. */
  from: Array<[number, number]>;
}

/** Lower case, NFKC, punctuation dropped (dashes and slashes become spaces), whitespace collapsed, trimmed. */
export function normalizeWithMap(input: string): Normalized {
  let text = '';
  const from: Array<[number, number]> = [];
  let i = 0;
  for (const ch of input) {
    const start = i;
    i += ch.length;
    for (const c of ch.normalize('NFKC').toLowerCase()) {
      const space = /\s|[\p{Pd}/]/u.test(c);
      if (space) {
        if (text.length > 0 && !text.endsWith(' ')) {
          text += ' ';
          from.push([start, i]);
        }
      } else if (!/[\p{P}\p{S}]/u.test(c) || /[%$€£°+]/u.test(c)) {
        text += c;
        from.push([start, i]);
      }
    }
  }
  if (text.endsWith(' ')) {
    text = text.slice(0, -1);
    from.pop();
  }
  return { text, from };
}

export function spanKey(text: string): string {
  return normalizeWithMap(text).text;
}

/** Every place `spanText` occurs in the (normalized) input, as input offsets, at word boundaries. */
export function locate(input: Normalized, spanText: string): Array<{ start: number; end: number }> {
  const key = spanKey(spanText);
  if (!key) return [];
  const out: Array<{ start: number; end: number }> = [];
  for (let at = input.text.indexOf(key); at >= 0; at = input.text.indexOf(key, at + 1)) {
    const before = at === 0 ? ' ' : input.text[at - 1]!;
    const after = at + key.length >= input.text.length ? ' ' : input.text[at + key.length]!;
    if (isWordChar(before) && isWordChar(key[0]!)) continue;
    if (isWordChar(after) && isWordChar(key.at(-1)!)) continue;
    out.push({ start: input.from[at]![0], end: input.from[at + key.length - 1]![1] });
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

export function voteSpans(input: string, types: readonly string[], members: readonly MemberSpans[], quorum?: number): SpanVote {
  const normalized = normalizeWithMap(input);
  const typeOf = new Map(types.map((t) => [spanKey(t), t]));
  const found = new Map<string, { type: string; start: number; end: number; members: string[] }>();
  const unaligned: Record<string, number> = {};
  for (const m of members) {
    unaligned[m.member] = 0;
    const mine = new Set<string>();
    for (const s of m.spans) {
      const type = typeOf.get(spanKey(s.type));
      const places = type === undefined ? [] : locate(normalized, s.text);
      if (places.length === 0) unaligned[m.member]!++;
      for (const p of places) {
        const key = `${type}\u0000${p.start}:${p.end}`;
        if (mine.has(key)) continue; // a member that lists a span twice still votes once
        mine.add(key);
        const entry = found.get(key) ?? { type: type!, ...p, members: [] };
        entry.members.push(m.member);
        found.set(key, entry);
      }
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
  const kept: Span[] = [];
  const rejected: Span[] = [];
  for (const s of byStrength) {
    if (s.members.length >= needed && !kept.some((k) => k.start < s.end && s.start < k.end)) kept.push(s);
    else rejected.push(s);
  }
  const inOrder = (a: Span, b: Span) => a.start - b.start || a.end - b.end || a.type.localeCompare(b.type);
  return { kept: kept.sort(inOrder), rejected: rejected.sort(inOrder), unaligned, needed };
}

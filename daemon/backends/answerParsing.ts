/**
 * Reading a label and a verbalized confidence out of a model's free-text answer. The text is
 * hostile: it is cut to LIMITS.maxMemberReplyChars first, and every step is linear in it (the
 * "Answer:" line is found by a scan, not by a pattern that could backtrack).
 */
import { LIMITS } from '../../protocol/limits';

function normalize(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();
}

/** Normalized, without the quotes, dots, brackets and emphasis models wrap answers in (labels get the same, so "won't fix" still matches). */
function clean(s: string): string {
  return normalize(s.replace(/[*"'`.()[\]]/g, ' '));
}

/**
 * The label a text names. An explicit "Answer: X" line wins; then the whole text being a label;
 * then the label mentioned first (longest label first at the same position, so "card arrival" beats
 * "card"). Null when no label is named: the member abstains.
 */
export function matchLabel(reply: string, labels: readonly string[]): string | null {
  const text = reply.slice(0, LIMITS.maxMemberReplyChars);
  const answerLine = answerLineOf(text);
  const candidates = answerLine ? [answerLine, text] : [text];
  for (const candidate of candidates) {
    const c = clean(candidate);
    const exact = labels.find((l) => clean(l) === c);
    if (exact) return exact;
    let best: { label: string; at: number } | null = null;
    for (const label of labels) {
      const at = indexOfWord(c, clean(label));
      if (at < 0) continue;
      if (!best || at < best.at || (at === best.at && label.length > best.label.length)) best = { label, at };
    }
    if (best) return best.label;
  }
  return null;
}

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

/**
 * The rest of the line after the first "answer" (then optional "is", ":" or "-", and "**"), across
 * blank lines: what /answer\s*(?:is)?\s*[:-]?\s*\**\s*([^\n]+)/i matched, without its adjacent
 * `\s*` (which backtrack polynomially on "answer" followed by a long run of whitespace).
 */
export function answerLineOf(text: string): string | null {
  const lower = text.toLowerCase();
  for (let at = lower.indexOf('answer'); at >= 0; at = lower.indexOf('answer', at + 1)) {
    let i = at + 'answer'.length;
    const skipSpace = () => {
      while (isSpace(text[i])) i++;
    };
    skipSpace();
    if (lower.startsWith('is', i)) {
      i += 2;
      skipSpace();
    }
    if (text[i] === ':' || text[i] === '-') {
      i++;
      skipSpace();
    }
    while (text[i] === '*') i++;
    skipSpace();
    const end = text.indexOf('\n', i);
    const line = text.slice(i, end < 0 ? text.length : end);
    if (line) return line;
    // only whitespace to the end of the text: no later "answer" can have a line either
    return null;
  }
  return null;
}

/** Word-boundary patterns per label, built once: every vote of every request matches the same labels (a hot path). */
const wordPatterns = new Map<string, RegExp>();

function wordPattern(needle: string): RegExp {
  let re = wordPatterns.get(needle);
  if (!re) {
    re = new RegExp(`(^|[^a-z0-9])${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[^a-z0-9])`);
    if (wordPatterns.size >= 4_096) wordPatterns.clear(); // labels come from requests: keep the cache bounded
    wordPatterns.set(needle, re);
  }
  return re;
}

function indexOfWord(haystack: string, needle: string): number {
  if (!needle) return -1;
  const m = wordPattern(needle).exec(haystack);
  return m ? m.index + (m[1]?.length ?? 0) : -1;
}

/** "Confidence: 0.8", "confidence 80%", "Confidence: 8/10" -> [0, 1]; null when absent or out of range. */
export function parseVerbalizedConfidence(reply: string): number | null {
  // One class for the separator ([\s:=]* rather than \s*[:=]?\s*): two adjacent \s* backtrack polynomially.
  const m = /confidence[\s:=]*(\d+(?:\.\d+)?)([^\S\n]*(?:%|\/[^\S\n]*100?\b))?/i.exec(reply.slice(0, LIMITS.maxMemberReplyChars));
  if (!m?.[1]) return null;
  let v = Number(m[1]);
  const unit = m[2]?.replace(/\s/g, '');
  if (unit === '%' || unit === '/100') v /= 100;
  else if (unit === '/10') v /= 10;
  else if (v > 1 && v <= 100) v /= 100;
  return v >= 0 && v <= 1 ? v : null;
}

// The distribution helpers are shared with the strategies (common/distribution.ts).
export { argmaxLabel, normalizeDistribution, softmaxLogprobs } from '../../common/distribution';

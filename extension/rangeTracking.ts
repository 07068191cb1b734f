/**
 * Moving a classified range along with edits to its document (pure: plain positions, no vscode).
 * An edit wholly before the range shifts it; an edit wholly after leaves it; an edit that touches
 * the range itself (the classified text changed) invalidates it.
 */
export interface Pos {
  line: number;
  character: number;
}
export interface Span {
  start: Pos;
  end: Pos;
}
/** One content change: the replaced span (in the document before the edit) and the new text. */
export interface Change {
  range: Span;
  text: string;
}

function cmp(a: Pos, b: Pos): number {
  return a.line - b.line || a.character - b.character;
}

/** Where `p` (at or after the change's end) lands once the change is applied. */
function shift(p: Pos, c: Change): Pos {
  const lines = c.text.split('\n');
  const addedLines = lines.length - 1;
  const lineDelta = addedLines - (c.range.end.line - c.range.start.line);
  if (p.line !== c.range.end.line) return { line: p.line + lineDelta, character: p.character };
  // Same line as the change's end: the column moves too.
  const lastLen = lines[lines.length - 1]!.length;
  const newEndChar = addedLines === 0 ? c.range.start.character + lastLen : lastLen;
  return { line: p.line + lineDelta, character: newEndChar + (p.character - c.range.end.character) };
}

/**
 * The span after all `changes` (one document change event; ranges refer to the document before
 * it and do not overlap), or null when a change touched the span.
 */
export function trackSpan(span: Span, changes: readonly Change[]): Span | null {
  // Apply from the end of the document backwards, so each change's coordinates stay valid.
  const ordered = [...changes].sort((a, b) => cmp(b.range.start, a.range.start));
  let s = span;
  for (const c of ordered) {
    if (cmp(c.range.start, s.end) >= 0) continue; // after
    if (cmp(c.range.end, s.start) <= 0) {
      s = { start: shift(s.start, c), end: shift(s.end, c) }; // before
      continue;
    }
    return null; // touches the classified text
  }
  return s;
}

/** Turning zod issues and JSON syntax errors into messages that name the file, the JSON path and what was expected. */
import type { z } from 'zod';

export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || '(root)';
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** One line per issue: `file: models[1].baseUrl: Invalid URL (got "foo")`. */
export function formatIssues(file: string, issues: readonly z.core.$ZodIssue[], input: unknown): string {
  return issues.map((i) => `${file}: ${jsonPath(i.path)}: ${i.message} (got ${show(valueAt(input, i.path))})`).join('\n');
}

/** Line and column of a JSON.parse failure, from the position Node reports. */
export function formatJsonSyntaxError(file: string, text: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const m = /position (\d+)/.exec(message);
  if (m?.[1]) {
    const pos = Number(m[1]);
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - before.lastIndexOf('\n');
    return `${file}:${line}:${col}: not valid JSON: ${message}`;
  }
  return `${file}: not valid JSON: ${message}`;
}

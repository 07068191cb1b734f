/**
 * JSON out of what a member wrote: the whole text, or the first {...} block in it (models wrap JSON
 * in prose or code fences when nothing constrains them). Bounded and checked with zod by callers.
 */
import { EnsembleError } from '../../protocol/errors';

const MAX_CHARS = 256 * 1024;

export function parseMemberJson(text: string): unknown {
  const t = text.slice(0, MAX_CHARS).trim();
  try {
    return JSON.parse(t);
  } catch {
    const start = t.indexOf('{');
    const end = t.lastIndexOf('}');
    if (start >= 0 && end > start) {
      try {
        return JSON.parse(t.slice(start, end + 1));
      } catch {
        // fall through
      }
    }
  }
  throw new EnsembleError('BackendError', `the member did not answer JSON: ${JSON.stringify(t.slice(0, 120))}`);
}

/**
 * firstSuccess's acceptance check: an answer counts when it is not blank and, for a task with a
 * JSON schema, parses as JSON and holds every key the schema's top level requires. Returns why not.
 */
import type { ErrorInfo } from '../../protocol/ensemble';
import { EnsembleError } from '../../protocol/errors';

export function rejectionOf(text: string, schema: Record<string, unknown> | undefined): ErrorInfo | null {
  const bad = (why: string) => new EnsembleError('BadInput', why).toInfo();
  if (!text.trim()) return bad('the answer is empty');
  if (!schema) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('the answer is not JSON (the task has a schema)');
  }
  const required = Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === 'string') : [];
  if (required.length === 0) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('the answer is not a JSON object');
  const missing = required.filter((k) => !Object.hasOwn(value, k));
  return missing.length > 0 ? bad(`the answer lacks required key(s) ${missing.join(', ')}`) : null;
}

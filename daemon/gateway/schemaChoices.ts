/**
 * The choices a client put in `response_format: {type: "json_schema"}`: the first string `enum` in
 * the schema (depth-first, bounded), and the property that holds it. That is how labels, entity
 * types and answer options reach the gateway in a shape every OpenAI client can already send.
 */
import type { ResponseFormat } from './chatRequest';
import { badRequest } from './errors';
import { RESERVED_NAME } from '../../protocol/safeName';
import { LIMITS } from '../../protocol/limits';

const L = LIMITS.gateway;

export interface Choices {
  values: string[];
  /** The object property whose value is the enum ("label", "type"...); null for a bare enum schema. */
  property: string | null;
}

const MAX_DEPTH = 8;

export function schemaChoices(format: ResponseFormat | null | undefined): Choices | null {
  if (format?.type !== 'json_schema' || !format.json_schema.schema) return null;
  return find(format.json_schema.schema, null, 0);
}

function find(node: unknown, property: string | null, depth: number): Choices | null {
  if (depth > MAX_DEPTH || node === null || typeof node !== 'object') return null;
  const o = node as Record<string, unknown>;
  if (Array.isArray(o.enum)) {
    const values = o.enum;
    if (
      values.length === 0 ||
      values.length > L.maxChoices ||
      !values.every((v) => typeof v === 'string' && v.length > 0 && v.length <= L.maxChoiceChars)
    ) {
      throw badRequest(
        `response_format: the enum must hold 1 to ${L.maxChoices} non-empty strings of at most ${L.maxChoiceChars} characters`,
        'response_format',
      );
    }
    if (values.includes(RESERVED_NAME))
      throw badRequest(
        `response_format: "${RESERVED_NAME}" cannot be a choice (it cannot be a key): choose another name`,
        'response_format',
      );
    return { values: values as string[], property };
  }
  if (o.properties && typeof o.properties === 'object') {
    for (const [name, child] of Object.entries(o.properties as Record<string, unknown>)) {
      const found = find(child, name, depth + 1);
      if (found) return found;
    }
  }
  for (const key of ['items', 'anyOf', 'oneOf']) {
    const child = o[key];
    for (const c of Array.isArray(child) ? child : [child]) {
      const found = find(c, property, depth + 1);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Names that become object keys (labels, ensemble names, model ids). "__proto__" is the one string
 * a plain object cannot hold as a key: assigning it changes the object's prototype instead, so a
 * label or ensemble named so would be lost or corrupt a tally. Refused where names enter, with a
 * clear error. Other prototype names ("constructor", "toString") are fine: lookups use own keys.
 */
import { z } from 'zod';

export const RESERVED_NAME = '__proto__';

/** A name that can be an object key: not "__proto__". */
export function keyableName<T extends z.ZodString>(schema: T) {
  return schema.refine((s) => s !== RESERVED_NAME, { message: `"${RESERVED_NAME}" is reserved (it cannot be a key): choose another name` });
}

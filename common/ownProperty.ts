/**
 * Reading records keyed by outside strings (labels, answers, member ids, words). On a plain object
 * `counts["constructor"]` is Object.prototype's function, not undefined, so a label named so would
 * be miscounted (NaN) or turn a number into a string. `own` reads own properties only. The one key
 * a plain object cannot hold, "__proto__", is refused where names enter (protocol/safeName.ts).
 */

/** `record[key]` when it is the record's own property; undefined otherwise (never Object.prototype's). */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * The path of the first number in a value that is not finite (NaN, +/-Infinity), or null: what JSON
 * cannot carry (it writes them as null, and the row no longer reads back). A cheap walk for the hot
 * path (every decision), where a full schema parse would cost more than the check is worth.
 */
export function nonFiniteNumber(value: unknown, path = 'decision', depth = 0): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (value === null || typeof value !== 'object' || depth > 8) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nonFiniteNumber(value[i], `${path}.${i}`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const found = nonFiniteNumber((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * The path of the first number in a value that is not finite (NaN, +/-Infinity), or null: what JSON
 * cannot carry (it writes them as null, and the row no longer reads back). A cheap walk for the hot
 * path (every decision), where a full schema parse would cost more than the check is worth: it
 * allocates nothing unless it finds one (the path is built on the way back).
 */
export function nonFiniteNumber(value: unknown, path = 'decision'): string | null {
  const trail = trailToNonFinite(value, 0);
  return trail === null ? null : [path, ...trail.reverse()].join('.');
}

/** The keys from the non-finite number up to `value`, innermost first; null when there is none. */
function trailToNonFinite(value: unknown, depth: number): Array<string | number> | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : [];
  if (value === null || typeof value !== 'object' || depth > 8) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const trail = trailToNonFinite(value[i], depth + 1);
      if (trail) {
        trail.push(i);
        return trail;
      }
    }
    return null;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const trail = trailToNonFinite((value as Record<string, unknown>)[key], depth + 1);
    if (trail) {
      trail.push(key);
      return trail;
    }
  }
  return null;
}

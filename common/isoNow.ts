/**
 * The time as an ISO 8601 string, exactly what `new Date(ms).toISOString()` gives, for the records
 * made on every decision: the part up to the second is formatted once per second, and only the
 * milliseconds per call (Date's own formatting was 0.6% of the daemon's CPU per decision under load).
 */
let second = Number.NaN;
let prefix = '';

export function isoNow(ms: number = Date.now()): string {
  const s = Math.floor(ms / 1000);
  if (s !== second) {
    const iso = new Date(s * 1000).toISOString(); // "….000Z": keep all but the milliseconds
    second = s;
    prefix = iso.slice(0, iso.length - 4);
  }
  const milli = ms - s * 1000;
  return `${prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

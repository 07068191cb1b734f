/** Byte counts for people, the same everywhere (CLI, daemon messages, extension, inspector). */
const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** "16 GiB", "4.1 GiB", "612 MiB", "0.5 MiB": one decimal at most, no trailing ".0". */
export function formatSize(bytes: number): string {
  const b = Math.max(0, bytes);
  const one = (v: number): string => {
    const s = v >= 100 ? v.toFixed(0) : v.toFixed(1);
    return s.endsWith('.0') ? s.slice(0, -2) : s;
  };
  if (b >= GiB) return `${one(b / GiB)} GiB`;
  if (b >= 0.1 * MiB) return `${one(b / MiB)} MiB`;
  if (b >= 1024) return `${one(b / 1024)} KiB`;
  return `${Math.round(b)} B`;
}

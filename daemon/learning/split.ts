/**
 * Seeded, deterministic train/test splits. The same seed, fraction and item ids give the same split
 * on every machine and every run, whatever order the items were loaded in.
 */

/** mulberry32: a small, fast 32-bit PRNG; returns a function giving floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** In-place Fisher-Yates shuffle driven by `rand`. */
export function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = xs[i]!;
    xs[i] = xs[j]!;
    xs[j] = t;
  }
  return xs;
}

export interface SplitOptions<T> {
  /** Share of items in the train split, in [0, 1]. */
  trainFraction: number;
  seed: number;
  /** Stable id of an item: items are sorted by it before shuffling, so load order does not matter. */
  id: (x: T) => string;
  /** When given, each stratum is split with the same fraction (rounded per stratum). */
  stratum?: (x: T) => string;
}

export interface Split<T> {
  train: T[];
  test: T[];
}

const byId =
  <T>(id: (x: T) => string) =>
  (a: T, b: T) => {
    const x = id(a);
    const y = id(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };

/**
 * Splits `items` into train and test. The train split gets round(n * trainFraction) items of each
 * stratum (or of the whole set, unstratified); both splits keep the items' sorted-id order.
 */
export function trainTestSplit<T>(items: readonly T[], opts: SplitOptions<T>): Split<T> {
  const f = opts.trainFraction;
  if (!(f >= 0 && f <= 1)) throw new RangeError(`trainFraction must be in [0, 1], got ${f}`);
  if (!Number.isInteger(opts.seed)) throw new RangeError(`seed must be an integer, got ${opts.seed}`);
  const sorted = [...items].sort(byId(opts.id));
  const groups = new Map<string, T[]>();
  for (const x of sorted) {
    const k = opts.stratum ? opts.stratum(x) : '';
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(x);
  }
  const rand = mulberry32(opts.seed);
  const inTrain = new Set<T>();
  for (const k of [...groups.keys()].sort()) {
    const g = shuffle([...groups.get(k)!], rand);
    const nTrain = Math.round(g.length * f);
    for (let i = 0; i < nTrain; i++) inTrain.add(g[i]!);
  }
  const train: T[] = [];
  const test: T[] = [];
  for (const x of sorted) (inTrain.has(x) ? train : test).push(x);
  return { train, test };
}

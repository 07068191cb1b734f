/**
 * `npm run soak`: the long soak (default 150 s, `--seconds N`, at most 600), loopback only; stops by
 * itself and exits non-zero when a bound of SOAK_BOUNDS (`test/integration/support/soak.ts`) is passed.
 */
import { parseArgs } from 'node:util';
import { SOAK_BOUNDS, runSoak } from '../test/integration/support/soak';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '150' } } });
const seconds = Math.min(600, Math.max(10, Number(values.seconds)));
const r = await runSoak(seconds, (s) => process.stderr.write(`${s}\n`));
console.log(JSON.stringify(r, null, 2));
const failures = [
  r.rss.end - r.rss.warm >= SOAK_BOUNDS.rssGrowthMiB && `RSS grew ${(r.rss.end - r.rss.warm).toFixed(0)} MiB after warm-up`,
  r.rss.peak >= SOAK_BOUNDS.peakRssMiB && `peak RSS ${r.rss.peak.toFixed(0)} MiB`,
  r.fds.end - r.fds.warm >= SOAK_BOUNDS.fdGrowth && `descriptors grew by ${r.fds.end - r.fds.warm}`,
  Object.keys(r.goodErrors).length > 0 && `good clients saw errors: ${JSON.stringify(r.goodErrors)}`,
].filter(Boolean);
console.log(failures.length ? `FAILED: ${failures.join('; ')}` : `ok: within the bounds ${JSON.stringify(SOAK_BOUNDS)}`);
process.exit(failures.length ? 1 : 0);

/** Progress bars for models the foreground daemon fetches on first use (only on a terminal). */
import cliProgress from 'cli-progress';
import type { DownloadListener } from '../daemon/pool/pool';

export function downloadBars(): DownloadListener | undefined {
  if (!process.stderr.isTTY) return undefined;
  const multi = new cliProgress.MultiBar(
    {
      format: '{model} [{bar}] {percentage}% {value}/{total} MiB  ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return (model, p) => {
    let bar = bars.get(model);
    const mib = (n: number) => Math.round(n / 2 ** 20);
    if (!bar && !p.done) {
      bar = multi.create(p.totalBytes ? mib(p.totalBytes) : 0, 0, { model: model.padEnd(16) });
      bars.set(model, bar);
    }
    if (!bar) return;
    if (p.done) {
      bar.stop();
      return;
    }
    if (p.totalBytes) bar.setTotal(mib(p.totalBytes));
    bar.update(mib(p.receivedBytes));
  };
}

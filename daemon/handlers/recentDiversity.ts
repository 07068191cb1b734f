/**
 * The diversity view that `pool/changed` carries. Reading it parses the default ensemble's last few
 * hundred recorded decisions; under load the stats broadcast asked for it every second, and that
 * read was the largest single stall of the event loop and a few percent of the daemon's CPU per
 * decision. The broadcast reuses a view at most `maxAgeMs` old (figures over hundreds of decisions
 * move slowly); a config change, or a client reading `pool/status`, gets a fresh one.
 */
import type { DiversityView } from '../../protocol/methods';
import type { LoadedConfig } from '../config/loadConfig';
import type { HandlerContext } from './context';
import { defaultDiversity, type DiversityReader } from './status';

export function recentDiversity(maxAgeMs: number, read: DiversityReader = defaultDiversity, now: () => number = Date.now): DiversityReader {
  let memo: { at: number; loaded: LoadedConfig | null; view: DiversityView | undefined } | null = null;
  return (ctx: HandlerContext, loaded: LoadedConfig | null) => {
    const at = now();
    if (memo && memo.loaded === loaded && at - memo.at < maxAgeMs) return memo.view;
    const view = read(ctx, loaded);
    memo = { at, loaded, view };
    return view;
  };
}

/**
 * V8 tiering for a daemon whose requests come one at a time. V8 runs a function in its interpreter
 * until it has run enough (V8 11, Node 20: 66 KB of its bytecode executed; V8 12 and later: 3,000
 * calls), and only then optimizes it. A daemon serving lens clicks seconds apart stays below that
 * for hours: on the bench's lone requests its own path (params check, plan, member requests, the
 * decision) ran mostly unoptimized, a quarter of a millisecond of every request (docs/benchmarks.md).
 * So the daemon compiles baseline code at once (Sparkplug, cheap) and optimizes after a quarter of
 * V8's default. Flags given on the command line or in NODE_OPTIONS win: the operator's word is last.
 */
import v8 from 'node:v8';

/** The flags for a V8 version ("11.3.244.8-node.38"): V8 12 replaced the bytecode budget with call counts. */
export function v8TieringFlags(v8Version: string): string[] {
  const major = Number.parseInt(v8Version, 10);
  return ['--always-sparkplug', major >= 12 ? '--invocation-count-for-turbofan=750' : '--interrupt-budget=16896'];
}

/** A flag's name as V8 reads it: without "no-", a value, or underscores. */
function flagName(flag: string): string {
  return flag
    .split('=')[0]!
    .replace(/^--(no-?)?/, '')
    .replaceAll('_', '-');
}

/** Sets the tiering flags the operator did not set; returns those it set (for the log). */
export function tuneV8Tiering(
  given: readonly string[] = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)],
): string[] {
  const taken = new Set(given.filter((g) => g.startsWith('--')).map(flagName));
  const applied = v8TieringFlags(process.versions.v8).filter((f) => !taken.has(flagName(f)));
  for (const flag of applied) v8.setFlagsFromString(flag);
  return applied;
}

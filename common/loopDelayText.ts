import type { EventLoopDelay } from '../protocol/eventLoop';

/** One line for people (CLI status, the inspector, the benchmark): p99 and max first, they are what clients feel. */
export function loopDelayText(e: EventLoopDelay): string {
  const ms = (v: number) => (v >= 10 ? Math.round(v).toString() : v.toFixed(1));
  return `event loop delay p99 ${ms(e.p99Ms)} ms, max ${ms(e.maxMs)} ms, mean ${ms(e.meanMs)} ms (last ${Math.round(e.windowMs / 1000)} s)`;
}

/**
 * The daemon's own event-loop delay, as `pool/status` reports it: how late the daemon's timers fire,
 * which is how late every client's reply can be. Figures in milliseconds over the last `windowMs`.
 */
import { z } from 'zod';

export const EventLoopDelay = z.object({
  meanMs: z.number().nonnegative(),
  p99Ms: z.number().nonnegative(),
  maxMs: z.number().nonnegative(),
  /** How much of the daemon's recent time the figures cover (between one and two rotation windows). */
  windowMs: z.number().nonnegative(),
});
export type EventLoopDelay = z.infer<typeof EventLoopDelay>;

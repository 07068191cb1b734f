/**
 * `ENSEMBLE_HOME/daemon.json`: how a client finds the running daemon. Written with mode 0600 by
 * the daemon at start, removed at a clean exit. A stale file (dead pid) is ignored by clients.
 */
import { z } from 'zod';

export const DaemonFile = z.object({
  pid: z.number().int(),
  port: z.number().int().min(1).max(65535),
  token: z.string().min(32),
  protocolVersion: z.number().int(),
  /** Daemon version, for "status". */
  version: z.string().optional(),
  startedAt: z.string().optional(),
});
export type DaemonFile = z.infer<typeof DaemonFile>;

export const DAEMON_FILE_NAME = 'daemon.json';
export const CONFIG_FILE_NAME = 'config.json';

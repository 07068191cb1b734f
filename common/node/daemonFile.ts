/**
 * Reading `ENSEMBLE_HOME/daemon.json` (its schema is protocol/daemonFile.ts): the daemon checks for
 * a live instance with it, clients find the daemon with it. Parsed, never cast.
 */
import fs from 'node:fs';
import { DaemonFile } from '../../protocol/daemonFile';
import { homePaths } from './home';

/** The daemon file when it names a live process; null when absent, unreadable or stale. */
export function readDaemonFile(home: string): DaemonFile | null {
  let raw: string;
  try {
    raw = fs.readFileSync(homePaths(home).daemonFile, 'utf8');
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = DaemonFile.safeParse(json);
  if (!parsed.success || !isAlive(parsed.data.pid)) return null;
  return parsed.data;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

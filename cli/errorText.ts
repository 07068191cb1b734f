/**
 * How the CLI words an EnsembleError for people: its message and stable kind on one line (scripts
 * match the kind), then, for the kinds a user can fix, one line saying how. The extension's
 * counterpart is extension/errorMessages.ts.
 */
import type { EnsembleError, ErrorKind } from '../protocol/errors';

const hints: Partial<Record<ErrorKind, string>> = {
  DaemonNotRunning: 'start one with `ensemble daemon` (commands that need one start it themselves)',
  DaemonStartFailed: 'read the daemon log in ENSEMBLE_HOME (daemon.log) for the reason',
  ConnectionClosed: 'the daemon went away; run the command again (it starts a daemon when none runs)',
  HandshakeRefused: 'another program may hold the daemon port, or daemon.json is stale; run `ensemble stop` and retry',
  ProtocolMismatch: 'a daemon of another version is running: run `ensemble stop` and retry',
  SqliteUnavailable: 'use Node 22.13 or later (it has node:sqlite), or pass recordings as JSONL',
};

/** The text the CLI writes to stderr for `e`, ending in a newline. */
export function formatCliError(e: EnsembleError): string {
  const hint = hints[e.kind];
  return `ensemble: ${e.message} [${e.kind}]\n${hint ? `  hint: ${hint}\n` : ''}`;
}

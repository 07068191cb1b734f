/** How CLI commands reach the daemon: the running one for ENSEMBLE_HOME, or a new one started in the background. */
import { connectOrStart, DaemonConnection, readDaemonFile } from '../client/daemonClient';
import { ensembleHome } from '../common/node/home';
import { DAEMON_VERSION } from '../daemon/version';

/** The command that runs this same CLI as a daemon (works from the bundle and under tsx alike). */
export function selfDaemonCommand(): string[] {
  const script = process.argv[1];
  if (!script) throw new Error('cannot tell where the ensemble CLI lives (process.argv[1] is empty)');
  return [process.execPath, ...process.execArgv, script, 'daemon'];
}

export async function connectCli(opts: { start?: boolean; timeoutMs?: number } = {}): Promise<DaemonConnection> {
  const home = ensembleHome();
  const client = { clientName: 'ensemble-cli', clientVersion: DAEMON_VERSION, requestTimeoutMs: opts.timeoutMs ?? 300_000 };
  if (opts.start === false) {
    const info = readDaemonFile(home);
    if (!info) throw new CliError(`no daemon is running for ${home}`, 1);
    return DaemonConnection.connect(info, client);
  }
  return connectOrStart({ home, command: selfDaemonCommand(), timeoutMs: 30_000 }, client);
}

/** An error the CLI reports as one line and an exit code (1 runtime, 2 usage). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

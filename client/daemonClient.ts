/**
 * Finding, starting and connecting to the daemon: shared by the CLI and the VS Code extension.
 * Discovery is through `ENSEMBLE_HOME/daemon.json` (pid, port, token); the connection is a
 * WebSocket to 127.0.0.1 carrying the token, speaking the JSON-RPC of `protocol/methods.ts`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { DaemonFile } from '../protocol/daemonFile';
import { EnsembleError } from '../protocol/errors';
import { homePaths } from '../common/node/home';
import { isAlive, readDaemonFile } from '../common/node/daemonFile';
import { HIDDEN_WINDOW, spawnPlan, type SpawnPlan } from '../common/node/spawnCommand';

/** Clients find the daemon through its file; re-exported so callers need one module. */
export { isAlive, readDaemonFile };
import { JsonRpcPeer } from '../protocol/jsonrpc';
import { startHeartbeat, type Heartbeat, type HeartbeatOptions } from './heartbeat';
import { LIMITS, PROTOCOL_VERSION } from '../protocol/methods';

export interface ConnectOptions {
  clientName: string;
  clientVersion: string;
  subscribeLog?: boolean;
  /** Default timeout for requests on this connection. */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** How often to ping the daemon and how many missed pongs close the connection (client/heartbeat.ts). */
  heartbeat?: HeartbeatOptions;
}

export class DaemonConnection {
  private closeListeners: Array<(reason: string) => void> = [];
  private readonly heartbeat: Heartbeat;
  /** Why the client itself ended the connection, when it did (the close event then says only 1006). */
  private deathReason: string | undefined;

  private constructor(
    readonly info: DaemonFile,
    readonly rpc: JsonRpcPeer,
    private readonly socket: WebSocket,
    heartbeat: HeartbeatOptions,
  ) {
    // A daemon that stops answering pings is gone: close so callers reconnect instead of hanging.
    this.heartbeat = startHeartbeat(socket, heartbeat, (why) => {
      this.deathReason = why;
      socket.terminate();
    });
    socket.on('close', (code, reason) => {
      this.heartbeat.stop();
      const why = `daemon connection closed (${this.deathReason ?? `${code}${reason.length ? `: ${reason.toString()}` : ''}`})`;
      rpc.close(why);
      for (const l of this.closeListeners) l(why);
    });
  }

  static async connect(info: DaemonFile, opts: ConnectOptions): Promise<DaemonConnection> {
    const socket = new WebSocket(`ws://127.0.0.1:${info.port}/`, {
      headers: { Authorization: `Bearer ${info.token}` },
      maxPayload: LIMITS.maxPayloadBytes,
      handshakeTimeout: opts.connectTimeoutMs ?? 5_000,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) =>
        reject(new EnsembleError('HandshakeRefused', `daemon refused the connection: HTTP ${res.statusCode}`)),
      );
      socket.once('error', (e) =>
        reject(
          new EnsembleError('DaemonNotRunning', `cannot reach the daemon on port ${info.port}: ${e.message}`, undefined, { cause: e }),
        ),
      );
    });
    const rpc = new JsonRpcPeer((text) => socket.send(text), { defaultTimeoutMs: opts.requestTimeoutMs ?? 120_000, role: 'client' });
    socket.on('message', (data, isBinary) => {
      if (!isBinary) rpc.receive(data.toString());
    });
    const conn = new DaemonConnection(info, rpc, socket, opts.heartbeat ?? {});
    const init = await rpc.request(
      'initialize',
      {
        protocolVersion: PROTOCOL_VERSION,
        client: { name: opts.clientName, version: opts.clientVersion },
        subscribeLog: opts.subscribeLog ?? false,
      },
      { timeoutMs: 10_000 },
    );
    if (init.protocolVersion !== PROTOCOL_VERSION) {
      conn.close();
      throw new EnsembleError(
        'ProtocolMismatch',
        `daemon speaks protocol ${init.protocolVersion}, this client ${PROTOCOL_VERSION}: restart the daemon`,
      );
    }
    return conn;
  }

  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.push(listener);
    return () => {
      this.closeListeners = this.closeListeners.filter((l) => l !== listener);
    };
  }

  /** Pings the daemon has not answered yet (0 while it is alive and answering). */
  get unansweredPings(): number {
    return this.heartbeat.unanswered;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.rpc.close('closed by client');
    this.socket.close(1000, 'bye');
  }
}

export interface StartOptions {
  home: string;
  /** The command that runs `ensemble daemon`, e.g. [process.execPath, '/path/dist/cli.mjs', 'daemon']. */
  command: string[];
  /** How long to wait for daemon.json to appear. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Where the daemon's stdout/stderr go (a file path); default: the home's daemon.log. */
  logFile?: string;
}

/**
 * Starts a detached daemon and waits for its daemon.json. The daemon outlives the caller (the
 * CLI exits, the next call reuses it). Rejects with the log's last lines when it dies early.
 */
export async function startDaemon(opts: StartOptions): Promise<DaemonFile> {
  const paths = homePaths(opts.home);
  fs.mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const logFile = opts.logFile ?? paths.log;
  // The log may hold what the daemon was asked: private to the user, like the rest of the home.
  const out = fs.openSync(logFile, 'a', 0o600);
  fs.fchmodSync(out, 0o600);
  if (opts.command.length === 0) throw new EnsembleError('BadInput', 'no daemon command given');
  let plan: SpawnPlan;
  try {
    plan = spawnPlan(opts.command);
  } catch (e) {
    throw new EnsembleError('BadInput', `cannot run the daemon command: ${(e as Error).message}`);
  }
  const child = spawn(plan.file, plan.args, {
    ...HIDDEN_WINDOW,
    windowsVerbatimArguments: plan.windowsVerbatimArguments,
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...opts.env, ENSEMBLE_HOME: paths.home },
  });
  fs.closeSync(out);
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  child.unref();
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    const info = readDaemonFile(paths.home);
    // Ours, or, when ours gave way because another client started one at the same moment, theirs.
    if (info && (info.pid === child.pid || exited !== null)) return info;
    if (exited !== null && !anotherDaemonStarting(paths.home)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const tail = readTail(logFile, 2_000);
  throw new EnsembleError(
    'DaemonStartFailed',
    exited !== null
      ? `the daemon exited (code ${exited}) before it was ready; its log (${logFile}) ends with:\n${tail}`
      : `the daemon did not become ready in time; see ${logFile}`,
  );
}

/** Connects to the running daemon, starting one first when none runs. */
export async function connectOrStart(start: StartOptions, opts: ConnectOptions): Promise<DaemonConnection> {
  const info = readDaemonFile(start.home) ?? (await startDaemon(start));
  return DaemonConnection.connect(info, opts);
}

/** True while another process holds the daemon lock (it is starting, and will write daemon.json). */
function anotherDaemonStarting(home: string): boolean {
  try {
    const pid = Number(fs.readFileSync(path.join(home, 'daemon.lock'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 && isAlive(pid);
  } catch {
    return false;
  }
}

function readTail(file: string, bytes: number): string {
  try {
    const buf = fs.readFileSync(file);
    return buf.subarray(Math.max(0, buf.length - bytes)).toString('utf8');
  } catch {
    return '(no log)';
  }
}

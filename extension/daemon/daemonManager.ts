/**
 * The daemon as the extension sees it: find the running one through ENSEMBLE_HOME/daemon.json or
 * start the bundled one, connect with its token, reconnect with backoff when the connection drops,
 * restart a crashed daemon under a bounded policy, and keep the latest pool status.
 */
import fs from 'node:fs';
import * as vscode from 'vscode';
import { DaemonConnection, isAlive, readDaemonFile, startDaemon } from '../../client/daemonClient';
import { EnsembleError } from '../../protocol/errors';
import { homePaths } from '../../common/node/home';
import type { RequestOptions } from '../../protocol/jsonrpc';
import type { PoolStatus, RequestMethod, RequestParams, RequestResult } from '../../protocol/methods';
import type { ConnectionState } from '../../protocol/webview';
import * as settings from '../settings';
import { launchPlan } from './launcher';
import { CrashPolicy, backoffDelay } from './policy';
import { PoolTracker } from './poolTracker';

/** Raised instead of restarting once the crash policy gave up; the user retries with Start Daemon. */
export class DaemonGaveUpError extends Error {
  readonly kind = 'DaemonGaveUp';
  constructor(message: string) {
    super(message);
    this.name = 'DaemonGaveUpError';
  }
}

export class DaemonManager implements vscode.Disposable {
  private conn: DaemonConnection | undefined;
  private connecting: Promise<DaemonConnection> | undefined;
  private state: ConnectionState = 'stopped';
  private pool: PoolStatus | null = null;
  /** Keeps `pool` current from the open connection's `pool/changed` notifications. */
  private tracker: PoolTracker | undefined;
  private stopping = false;
  private disposed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;
  private readonly crashes = new CrashPolicy(settings.restartPolicy);
  private readonly stateEmitter = new vscode.EventEmitter<ConnectionState>();
  private readonly poolEmitter = new vscode.EventEmitter<PoolStatus | null>();
  private readonly gaveUpEmitter = new vscode.EventEmitter<string>();
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onDidChangePool = this.poolEmitter.event;
  /** Fired once when the crash policy gives up (the extension tells the user, with a retry). */
  readonly onDidGiveUp = this.gaveUpEmitter.event;

  constructor(
    private readonly extensionPath: string,
    private readonly version: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get connectionState(): ConnectionState {
    return this.state;
  }

  get poolStatus(): PoolStatus | null {
    return this.pool;
  }

  /** The open connection; connects (and starts a daemon when `start`) when there is none. */
  async connection(start = settings.autoStart()): Promise<DaemonConnection> {
    if (this.conn?.isOpen) return this.conn;
    if (this.state === 'gaveUp') {
      throw new DaemonGaveUpError(`The Ensemble daemon crashed ${this.crashes.describe()}; it is not restarted automatically.`);
    }
    this.connecting ??= this.connect(start).finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  async request<M extends RequestMethod>(method: M, params: RequestParams<M>, opts: RequestOptions = {}): Promise<RequestResult<M>> {
    const conn = await this.connection();
    return conn.rpc.request(method, params, { timeoutMs: settings.requestTimeoutMs(), ...opts });
  }

  /** User command: start (or connect to) the daemon, forgetting past crashes. */
  async start(): Promise<DaemonConnection> {
    this.stopping = false;
    this.crashes.reset();
    this.cancelReconnect();
    if (this.state === 'gaveUp') this.setState('stopped');
    return this.connection(true);
  }

  /** User command: ask the daemon to shut down, and wait (briefly) until its process is gone. */
  async stop(): Promise<boolean> {
    this.stopping = true;
    this.cancelReconnect();
    const info = this.conn?.info ?? readDaemonFile(settings.homeDir());
    if (!info) {
      this.setState('stopped');
      return false;
    }
    try {
      const conn = this.conn?.isOpen ? this.conn : await DaemonConnection.connect(info, this.connectOptions(false));
      await conn.rpc.request('shutdown', {}, { timeoutMs: 5_000 }).catch((e: unknown) => this.log.warn(`shutdown: ${String(e)}`));
      conn.close();
    } catch (e) {
      this.log.warn(`could not ask the daemon to shut down (${String(e)}); sending SIGTERM to ${info.pid}`);
    }
    if (!(await waitForExit(info.pid, 5_000))) {
      try {
        process.kill(info.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      await waitForExit(info.pid, 3_000);
    }
    this.conn = undefined;
    this.forgetPool();
    this.setState('stopped');
    this.log.info(`daemon ${info.pid} stopped`);
    return true;
  }

  async restart(): Promise<DaemonConnection> {
    await this.stop();
    return this.start();
  }

  /** Reads the whole pool status again (the user asked); changes arrive by themselves otherwise. */
  async refreshPool(): Promise<PoolStatus | null> {
    if (!this.conn?.isOpen || !this.tracker) return this.pool;
    return this.tracker.refresh();
  }

  dispose(): void {
    this.disposed = true;
    this.cancelReconnect();
    // The daemon is shared with the CLI and other windows: closing the editor leaves it running.
    this.conn?.close();
    this.conn = undefined;
    this.stateEmitter.dispose();
    this.poolEmitter.dispose();
    this.gaveUpEmitter.dispose();
  }

  private connectOptions(subscribeLog: boolean) {
    return { clientName: 'vscode-ensemble', clientVersion: this.version, subscribeLog, requestTimeoutMs: settings.requestTimeoutMs() };
  }

  private async connect(start: boolean): Promise<DaemonConnection> {
    const home = settings.homeDir();
    let info = readDaemonFile(home);
    if (!info) {
      if (!start) throw new EnsembleError('DaemonNotRunning', `no Ensemble daemon is running (looked in ${homePaths(home).daemonFile})`);
      const plan = launchPlan(this.extensionPath);
      this.setState('starting');
      this.log.info(`starting the ${plan.source} daemon with ${plan.runtime}: ${plan.command.join(' ')} (ENSEMBLE_HOME=${home})`);
      try {
        info = await startDaemon({ home, command: plan.command, env: plan.env, timeoutMs: 60_000 });
      } catch (e) {
        this.setState('stopped');
        throw e;
      }
      this.log.info(`daemon started: pid ${info.pid}, port ${info.port}`);
    }
    let conn: DaemonConnection;
    try {
      conn = await DaemonConnection.connect(info, this.connectOptions(true));
    } catch (e) {
      if (this.state !== 'reconnecting') this.setState('stopped');
      throw e;
    }
    if (this.disposed) {
      conn.close();
      throw new EnsembleError('ConnectionClosed', 'the extension is shutting down');
    }
    conn.rpc.onNotification('$/log', (p) => this.log[p.level](`[daemon] ${p.message}`));
    this.tracker?.close();
    this.tracker = new PoolTracker(conn.rpc, (pool) => this.setPool(pool), this.log);
    conn.onClose((reason) => this.onClosed(conn, reason));
    this.conn = conn;
    this.stopping = false;
    this.reconnectAttempt = 0;
    this.log.info(`connected to the daemon (pid ${info.pid}, port ${info.port})`);
    this.setState('connected');
    void this.tracker.refresh();
    return conn;
  }

  private onClosed(conn: DaemonConnection, reason: string): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.forgetPool();
    if (this.stopping || this.disposed) {
      this.setState('stopped');
      return;
    }
    this.log.warn(reason);
    if (isAlive(conn.info.pid)) {
      this.scheduleReconnect();
      return;
    }
    // The process is gone. A clean exit removes daemon.json (someone stopped it): start again only
    // when next needed. A daemon that died leaving its file behind crashed: restart it, boundedly.
    const file = homePaths(settings.homeDir()).daemonFile;
    const cleanExit = !fileNamesPid(file, conn.info.pid);
    if (cleanExit) {
      this.log.info(`the daemon (pid ${conn.info.pid}) exited; it starts again when needed`);
      this.setState('stopped');
      return;
    }
    this.noteCrash(`the daemon (pid ${conn.info.pid}) crashed`);
  }

  private noteCrash(what: string): void {
    if (this.crashes.recordCrash(Date.now())) {
      this.log.error(`${what}; restarting it (${this.crashes.describe()})`);
      this.scheduleReconnect();
    } else {
      this.cancelReconnect();
      const message = `The Ensemble daemon crashed ${this.crashes.describe()}; it will not be restarted automatically.`;
      this.log.error(message);
      this.setState('gaveUp');
      this.gaveUpEmitter.fire(message);
    }
  }

  private scheduleReconnect(): void {
    if (this.disposed || this.stopping) return;
    this.cancelReconnect();
    this.setState('reconnecting');
    const delay = backoffDelay(this.reconnectAttempt++);
    this.log.info(`reconnecting in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => void this.reconnectTick(), delay);
  }

  private async reconnectTick(): Promise<void> {
    this.reconnectTimer = undefined;
    try {
      await this.connection(settings.autoStart());
    } catch (e) {
      if (this.disposed || this.stopping || this.state === 'gaveUp') return;
      this.log.warn(`reconnect failed: ${e instanceof Error ? e.message : String(e)}`);
      if (readDaemonFile(settings.homeDir()) === null) this.noteCrash('the daemon could not be started');
      else this.scheduleReconnect();
    }
  }

  private cancelReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  private setState(state: ConnectionState): void {
    if (this.state === state || this.disposed) return;
    this.state = state;
    this.stateEmitter.fire(state);
  }

  private forgetPool(): void {
    this.tracker?.close();
    this.tracker = undefined;
    this.setPool(null);
  }

  private setPool(pool: PoolStatus | null): void {
    this.pool = pool;
    if (!this.disposed) this.poolEmitter.fire(pool);
  }
}

function fileNamesPid(file: string, pid: number): boolean {
  try {
    const json: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof json === 'object' && json !== null && (json as { pid?: unknown }).pid === pid;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}

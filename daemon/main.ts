/**
 * Daemon process entry: state directory, store, config, pool, listener, and the daemon.json that
 * tells clients where we are. Shuts down cleanly on SIGINT/SIGTERM or a `shutdown` request.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readDaemonFile } from '../common/node/daemonFile';
import type { DaemonFile } from '../protocol/daemonFile';
import { EnsembleError } from '../protocol/errors';
import { homePaths, type HomePaths } from '../common/node/home';
import { checkGpuRuntime, workerGpuEnv } from './runtime/gpuRuntime';
import { nodeLlamaCppLocation } from './runtime/gpuSetup';
import { PROTOCOL_VERSION } from '../protocol/methods';
import type { BackendFactory } from './backends/backend';
import { checkLlamaRuntime } from './backends/llamaRuntime';
import { createBackend } from './createBackend';
import { EventLoopGuard } from './eventLoopGuard';
import { acquireInstanceLock } from './process/instanceLock';
import { Logger, type LogLevel } from './process/log';
import { rotatingWriter } from './process/logRotation';
import { makeHomePrivate } from './process/privateHome';
import { startServer, type RunningServer } from './transport/server';
import { newToken } from './transport/security';
import { DaemonService } from './service';
import type { DownloadListener } from './pool/pool';
import { openStore } from './store/openStore';
import { DAEMON_VERSION } from './version';

export interface DaemonOptions {
  home: string;
  logLevel?: LogLevel;
  /** Load models at start instead of on first use. */
  warmUp?: boolean;
  factory?: BackendFactory;
  heartbeatIntervalMs?: number;
  onDownloadProgress?: DownloadListener;
}

export interface RunningDaemon {
  info: DaemonFile;
  paths: HomePaths;
  service: DaemonService;
  server: RunningServer;
  logger: Logger;
  /** Resolves when the daemon has shut down. */
  closed: Promise<void>;
  shutdown(reason: string): Promise<void>;
}

export async function runDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const paths = homePaths(opts.home);
  const madePrivate = makeHomePrivate(paths.home);
  const existing = readDaemonFile(paths.home);
  if (existing && existing.pid !== process.pid) {
    throw new EnsembleError(
      'BadInput',
      `a daemon already runs for ${paths.home} (pid ${existing.pid}, port ${existing.port}); stop it with "ensemble stop"`,
    );
  }
  const releaseLock = acquireInstanceLock(paths.home);
  const logger = new Logger(opts.logLevel ?? 'info', rotatingWriter(paths.log));
  // The GPU runtime `ensemble setup gpu` installed, checked again now: model workers inherit it
  // (environment) and load with it; a missing or stale one falls back to the CPU, said loudly.
  const gpuRuntime = checkGpuRuntime(paths.home, installedNodeLlamaCppVersion() ?? 'unknown');
  if (gpuRuntime.warning) logger.warn(gpuRuntime.warning);
  if (!process.env.ENSEMBLE_GPU) Object.assign(process.env, workerGpuEnv(gpuRuntime));
  if (madePrivate.length > 0)
    logger.info(`made ${madePrivate.length} paths in ${paths.home} private to this user (0700 folders, 0600 files)`);
  let server: RunningServer | null = null;
  // A corrupt or locked database, or a SQLite module that does not load under this runtime (the
  // editor's Electron as Node), must not keep the daemon from serving: it records in memory, logs
  // why, and `pool/status` says so.
  const { store, ...storage } = await openStore(paths.database, logger);
  // Said now, in words, rather than as node-llama-cpp's NoBinaryFoundError at the first model load.
  const llamaRuntime = await checkLlamaRuntime({ expectedVersion: installedNodeLlamaCppVersion() });
  if (llamaRuntime.problem) logger.warn(`${llamaRuntime.problem}; llama.cpp models cannot load, HTTP backends still work`);
  const loopGuard = new EventLoopGuard({ logger });
  const service = new DaemonService({
    paths,
    storage,
    llamaRuntime,
    gpuRuntime: { gpu: gpuRuntime.gpu === false ? 'cpu' : gpuRuntime.gpu, ...(gpuRuntime.warning ? { warning: gpuRuntime.warning } : {}) },
    logger,
    factory: opts.factory ?? createBackend,
    store,
    onChange: (hint) => server?.broadcastChange(hint),
    onDownloadProgress: opts.onDownloadProgress,
    eventLoop: () => loopGuard.snapshot(),
  });
  service.live.reload();

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let stopping: Promise<void> | null = null;
  let stopWatching = () => {};
  const token = newToken();
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info(`shutting down: ${reason}`);
      stopWatching();
      removeDaemonFileIfOurs(paths, token);
      await server?.close();
      await service.dispose();
      loopGuard.stop();
      releaseLock();
      resolveClosed();
    })();
    return stopping;
  };

  server = await startServer({
    handlers: service.handlers,
    logger,
    token,
    allowedOrigins: () => service.live.allowedOrigins(),
    requestShutdown: () => void shutdown('shutdown requested by a client'),
    heartbeatIntervalMs: opts.heartbeatIntervalMs,
  });
  const info: DaemonFile = {
    pid: process.pid,
    port: server.port,
    token,
    protocolVersion: PROTOCOL_VERSION,
    version: DAEMON_VERSION,
    startedAt: new Date().toISOString(),
  };
  writePrivateJson(paths.daemonFile, info);
  stopWatching = service.live.watch();
  if (opts.warmUp !== false) service.pool.warmUp();
  logger.info(`ensemble daemon ${DAEMON_VERSION} listening on 127.0.0.1:${server.port} (pid ${process.pid}, home ${paths.home})`);
  return { info, paths, service, server, logger, closed, shutdown };
}

/** Writes JSON readable by the owner only, atomically (no client ever reads half a file). */
function writePrivateJson(file: string, value: unknown): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2), { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

function removeDaemonFileIfOurs(paths: HomePaths, token: string): void {
  try {
    const current = JSON.parse(fs.readFileSync(paths.daemonFile, 'utf8')) as { token?: string };
    if (current.token === token) fs.rmSync(paths.daemonFile, { force: true });
  } catch {
    // already gone
  }
}

/** node-llama-cpp's own version; undefined when it cannot be found (the check then skips the version). */
function installedNodeLlamaCppVersion(): string | undefined {
  try {
    return nodeLlamaCppLocation().version;
  } catch {
    return undefined;
  }
}

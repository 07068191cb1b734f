/**
 * The composition root of what the daemon does, independent of transport: the pool, the config in
 * force (config/liveConfig.ts), what is learned from outcomes (`Adaptation`), and the handlers
 * (handlers/) that the WebSocket sessions and the HTTP gateway call.
 */
import path from 'node:path';
import type { HomePaths } from '../common/node/home';
import type { EventLoopDelay } from '../protocol/eventLoop';
import type { BackendFactory } from './backends/backend';
import type { LlamaRuntimeCheck } from './backends/llamaRuntime';
import { LiveConfig } from './config/liveConfig';
import { Adaptation } from './learning/adaptation';
import { createHandlers, type Handlers } from './handlers/handlers';
import type { Logger } from './process/log';
import type { ChangeHint } from './pool/changeHint';
import { Pool, type DownloadListener } from './pool/pool';
import type { StorageInfo } from './store/openStore';
import type { Store } from './store/store';

export interface ServiceOptions {
  paths: HomePaths;
  logger: Logger;
  factory: BackendFactory;
  store: Store;
  /** Where decisions are recorded (SQLite, or memory when SQLite cannot be used), for status. */
  storage?: StorageInfo;
  /** What workers load with and why a configured GPU runtime is not used, for status. */
  gpuRuntime?: { gpu: string; warning?: string };
  /** The llama.cpp binary found at start, or why there is none, for status. */
  llamaRuntime?: LlamaRuntimeCheck;
  /** Told when the pool or config changes, so clients update their pool views. */
  onChange?: (hint: ChangeHint) => void;
  /** Download progress of models fetched on first use (the foreground daemon draws bars). */
  onDownloadProgress?: DownloadListener;
  /** The daemon's event-loop delay, for status (daemon/eventLoopGuard.ts). */
  eventLoop?: () => EventLoopDelay;
}

export class DaemonService {
  readonly pool: Pool;
  readonly live: LiveConfig;
  readonly handlers: Handlers;

  constructor(private readonly opts: ServiceOptions) {
    const changed = (hint: ChangeHint) => opts.onChange?.(hint);
    const pool = new Pool(opts.factory, opts.logger, changed, opts.onDownloadProgress);
    pool.setIntegrityCache(path.join(opts.paths.home, 'integrity.json'));
    // The VS Code extension starts the daemon with ENSEMBLE_DOWNLOADS=ask: nothing big is fetched before the user says so.
    if (process.env.ENSEMBLE_DOWNLOADS === 'ask') pool.setDownloadApproval('ask');
    const adaptation = new Adaptation(opts.store, opts.logger);
    const live = new LiveConfig({
      paths: opts.paths,
      logger: opts.logger,
      onChange: changed,
      apply: (loaded, freshSince) => {
        pool.apply(loaded.config, loaded.path);
        adaptation.startFresh(freshSince, loaded.config);
      },
    });
    this.pool = pool;
    this.live = live;
    this.handlers = createHandlers(
      { live, pool, store: opts.store, adaptation, logger: opts.logger, configPath: opts.paths.config, changed },
      {
        paths: opts.paths,
        startedAt: Date.now(),
        storage: opts.storage,
        gpuRuntime: opts.gpuRuntime,
        llamaRuntime: opts.llamaRuntime,
        eventLoop: opts.eventLoop,
      },
    );
  }

  async dispose(): Promise<void> {
    await this.pool.dispose();
    this.opts.store.close();
  }
}

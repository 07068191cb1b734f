/**
 * What every handler may use: the config in force, the pool, the store, what is learned from
 * outcomes, the log, and the listener told when clients should refresh their pool views. The
 * composition root (daemon/service.ts) builds one and hands it to each method family.
 */
import type { LiveConfig } from '../config/liveConfig';
import type { Adaptation } from '../learning/adaptation';
import type { Logger } from '../process/log';
import type { ChangeHint } from '../pool/changeHint';
import type { Pool } from '../pool/pool';
import type { Store } from '../store/store';

export interface HandlerContext {
  live: LiveConfig;
  pool: Pool;
  store: Store;
  adaptation: Adaptation;
  logger: Logger;
  /** Where config.json is, for errors that say what to change. */
  configPath: string;
  changed(hint: ChangeHint): void;
}

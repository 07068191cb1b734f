/**
 * The extension's copy of the pool status, kept current from `pool/changed`: one `pool/status` read
 * when connected, then every change applied in place (common/poolChanges.ts); the status is read
 * again only after a config change or when the user asks. No editor API here, so that tests drive
 * it against a real daemon.
 */
import { applyPoolChanges } from '../../common/poolChanges';
import type { JsonRpcPeer } from '../../protocol/jsonrpc';
import type { PoolStatus } from '../../protocol/methods';

export interface PoolTrackerLog {
  debug(message: string): void;
  warn(message: string): void;
}

export class PoolTracker {
  private pool: PoolStatus | null = null;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly rpc: Pick<JsonRpcPeer, 'request' | 'onNotification'>,
    private readonly onPool: (pool: PoolStatus | null) => void,
    private readonly log: PoolTrackerLog,
  ) {
    this.unsubscribe = rpc.onNotification('pool/changed', (p) => {
      this.log.debug(`pool changed: ${p.reason}`);
      // Before the first read arrives there is nothing to apply to: that read brings the news.
      if (!this.pool) return;
      const applied = applyPoolChanges(this.pool, p.changes);
      if (applied.kind === 'reread') void this.refresh();
      else this.set(applied.pool);
    });
  }

  get current(): PoolStatus | null {
    return this.pool;
  }

  /** Reads the whole status (at connect, after a config change, or when the user asks). */
  async refresh(): Promise<PoolStatus | null> {
    try {
      const pool = await this.rpc.request('pool/status', {}, { timeoutMs: 15_000 });
      if (!this.closed) this.set(pool);
    } catch (e) {
      this.log.warn(`pool/status failed: ${String(e)}`);
    }
    return this.pool;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
  }

  private set(pool: PoolStatus): void {
    this.pool = pool;
    this.onPool(pool);
  }
}

/**
 * The config in force: the last good config.json (or the embedded default pool), the error of the
 * last reload that failed (the last good config stays in force), the watch that reloads on change,
 * and the identity ledger that says which model ids now name another model. What a reload changes
 * elsewhere (the pool, what was learned) is the `apply` callback's, so this module knows neither.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EnsembleSpec, PoolConfig } from '../../protocol/config';
import { EnsembleError } from '../../protocol/errors';
import type { HomePaths } from '../../common/node/home';
import { own } from '../../common/ownProperty';
import type { Logger } from '../process/log';
import type { ChangeHint } from '../pool/changeHint';
import { resolveMembers, type ResolvedMember } from '../strategies/members';
import { readLedger, reconcile, writeLedger } from './identityLedger';
import { loadConfig, type LoadedConfig } from './loadConfig';

export interface LiveConfigOptions {
  paths: HomePaths;
  logger: Logger;
  onChange?: (hint: ChangeHint) => void;
  /** Adopts a config that loaded: `freshSince` holds the ids whose entry now names another model, and since when. */
  apply(config: LoadedConfig, freshSince: Map<string, number>): void;
}

/** An ensemble as a request names it (or the default one), with its members resolved. */
export interface ChosenEnsemble {
  name: string;
  spec: EnsembleSpec;
  members: ResolvedMember[];
}

export class LiveConfig {
  private loadedConfig: LoadedConfig | null = null;
  private lastError: string | null = null;

  constructor(private readonly opts: LiveConfigOptions) {}

  /** The config in force, or null before any loaded. */
  get loaded(): LoadedConfig | null {
    return this.loadedConfig;
  }

  /** Why the last reload was not applied, or null. */
  get error(): string | null {
    return this.lastError;
  }

  /** The config in force; `ConfigInvalid` when none ever loaded. */
  get config(): PoolConfig {
    if (!this.loadedConfig) throw new EnsembleError('ConfigInvalid', this.lastError ?? 'no config loaded');
    return this.loadedConfig.config;
  }

  /** (Re)reads config.json. On error the last good config stays in force and the error is kept for status. */
  reload(): { ok: boolean; error: string | null } {
    const result = loadConfig(this.opts.paths);
    if (!result.ok) {
      this.lastError = result.error;
      this.opts.logger.error(`config not applied, keeping the last good one:\n${result.error}`);
      this.opts.onChange?.({ kind: 'config', reason: 'config error' });
      return { ok: false, error: result.error };
    }
    this.loadedConfig = result.value;
    this.lastError = null;
    this.opts.apply(result.value, this.replacedSince(result.value.config));
    this.opts.logger.info(
      `config ${result.value.source === 'file' ? `loaded from ${result.value.path}` : 'absent: using the embedded default pool'}: ` +
        `${result.value.config.models.length} models, ensembles ${Object.keys(result.value.config.ensembles).join(', ') || 'none'}`,
    );
    this.opts.onChange?.({ kind: 'config', reason: 'config reloaded' });
    return { ok: true, error: null };
  }

  /** Ids whose entry now names another model (since the last reload or the last run) start afresh; the log says why. */
  private replacedSince(config: PoolConfig): Map<string, number> {
    const file = path.join(this.opts.paths.home, 'model-identities.json');
    const warn = (why: string) => this.opts.logger.warn(`model identities: ${why}`);
    const { ledger, replaced, freshSince } = reconcile(readLedger(file, warn), config.models, Date.now());
    for (const r of replaced)
      this.opts.logger.info(
        `model ${r.id} now names another model (${r.reason}): its feedback, calibration and fitted weights start afresh`,
      );
    try {
      writeLedger(file, ledger);
    } catch (e) {
      warn(`cannot write ${file}: ${(e as Error).message}`);
    }
    return freshSince;
  }

  /** The named ensemble (or the default one); `EnsembleNotFound` naming the known ones otherwise. */
  ensemble(name: string | undefined): ChosenEnsemble {
    const config = this.config;
    const chosen = name ?? this.loadedConfig!.defaultEnsemble;
    const spec = own(config.ensembles, chosen);
    if (!spec) {
      throw new EnsembleError(
        'EnsembleNotFound',
        `no ensemble named "${chosen}" (known: ${Object.keys(config.ensembles).join(', ') || 'none'}; see ${this.opts.paths.config})`,
      );
    }
    return { name: chosen, spec, members: resolveMembers(spec, config.models) };
  }

  /** Browser origins allowed to connect besides the editor's (`daemon.allowedOrigins`). */
  allowedOrigins(): readonly string[] {
    return this.loadedConfig?.config.daemon.allowedOrigins ?? [];
  }

  /** Watches config.json and reloads on change (debounced: editors write in several steps). */
  watch(): () => void {
    let timer: NodeJS.Timeout | undefined;
    let watcher: fs.FSWatcher | undefined;
    try {
      watcher = fs.watch(this.opts.paths.home, (_event, file) => {
        if (file !== null && file !== 'config.json') return;
        clearTimeout(timer);
        timer = setTimeout(() => this.reload(), 200);
      });
      watcher.on('error', (e) => this.opts.logger.warn(`config watch stopped: ${e.message}`));
    } catch (e) {
      this.opts.logger.warn(`cannot watch ${this.opts.paths.home}: ${(e as Error).message}`);
    }
    return () => {
      clearTimeout(timer);
      watcher?.close();
    };
  }
}

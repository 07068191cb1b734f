/**
 * `pool/status` (and the gateway's model list): the daemon, each model with its weights, feedback,
 * contributions and laggard flag, each ensemble, memory, storage and runtimes, and which members
 * of the default ensemble add diversity. Status never fails on a store error: it only hides the
 * figures that need the store.
 */
import type { EventLoopDelay } from '../../protocol/eventLoop';
import type { DiversityView, PoolStatus } from '../../protocol/methods';
import { own } from '../../common/ownProperty';
import type { HomePaths } from '../../common/node/home';
import type { LlamaRuntimeCheck } from '../backends/llamaRuntime';
import type { LoadedConfig } from '../config/loadConfig';
import { resolveMembers } from '../strategies/members';
import { liveDiversity } from '../learning/liveDiversity';
import type { StorageInfo } from '../store/openStore';
import { DAEMON_VERSION } from '../version';
import type { HandlerContext } from './context';

/** What status reports that the daemon learned at start. */
export interface StatusFacts {
  paths: HomePaths;
  startedAt: number;
  /** Where decisions are recorded (SQLite, or memory when SQLite cannot be used). */
  storage?: StorageInfo;
  /** What workers load with and why a configured GPU runtime is not used. */
  gpuRuntime?: { gpu: string; warning?: string };
  /** The llama.cpp binary found at start, or why there is none. */
  llamaRuntime?: LlamaRuntimeCheck;
  /** The daemon's event-loop delay (daemon/eventLoopGuard.ts). */
  eventLoop?: () => EventLoopDelay;
  /** How many times a client asked for `pool/status` (clients should follow `pool/changed` instead of polling). */
  statusReads(): number;
}

/** Reads the default ensemble's diversity view (a store read and a parse of its recent decisions). */
export type DiversityReader = (ctx: HandlerContext, loaded: LoadedConfig | null) => DiversityView | undefined;

export function handleStatus(ctx: HandlerContext, facts: StatusFacts, diversityOf: DiversityReader = defaultDiversity): PoolStatus {
  const loaded = ctx.live.loaded;
  const contrib = ctx.adaptation.contributions();
  const models = ctx.pool
    .status((id) => ctx.adaptation.modelWeight(id, loaded?.config ?? null))
    .map((m) => ({
      ...m,
      ...ctx.adaptation.feedbackStats(m.id),
      decisive: own(contrib, m.id)?.decisive ?? 0,
      overruledRight: own(contrib, m.id)?.overruledRight ?? 0,
    }));
  const laggards = ctx.pool.laggards.flags();
  for (const m of models) {
    const flag = laggards.get(m.id);
    if (flag) Object.assign(m, { laggard: flag });
  }
  const ready = new Set(models.filter((m) => m.state === 'ready' || m.state === 'busy').map((m) => m.id));
  const diversity = diversityOf(ctx, loaded);
  return {
    daemonVersion: DAEMON_VERSION,
    pid: process.pid,
    uptimeMs: Date.now() - facts.startedAt,
    home: facts.paths.home,
    configPath: loaded?.source === 'embedded' ? `${facts.paths.config} (absent: embedded default pool)` : facts.paths.config,
    configError: ctx.live.error,
    defaultEnsemble: loaded?.defaultEnsemble ?? 'default',
    models,
    ensembles: Object.entries(loaded?.config.ensembles ?? {}).map(([name, spec]) => {
      const members = resolveMembers(spec, loaded!.config.models);
      return {
        name,
        members: members.map((m) => ({ member: m.member, model: m.model, promptStyle: m.promptStyle })),
        strategy: spec.strategy,
        labels: spec.labels,
        ready: members.filter((m) => ready.has(m.model)).length,
      };
    }),
    memory: ctx.pool.memoryPlan(),
    ...(facts.storage ? { storage: { ...facts.storage } } : {}),
    ...(facts.gpuRuntime ? { gpuRuntime: { ...facts.gpuRuntime } } : {}),
    ...(facts.llamaRuntime ? { llamaRuntime: { ...facts.llamaRuntime } } : {}),
    ...(diversity ? { diversity } : {}),
    ...(facts.eventLoop ? { eventLoop: facts.eventLoop() } : {}),
    statusReads: facts.statusReads(),
  };
}

/** Which members of the default ensemble add diversity (a store error only hides it). */
export function defaultDiversity(ctx: HandlerContext, loaded: LoadedConfig | null): DiversityView | undefined {
  const spec = loaded ? own(loaded.config.ensembles, loaded.defaultEnsemble) : undefined;
  if (!loaded || !spec) return undefined;
  try {
    return liveDiversity(
      ctx.store,
      loaded.defaultEnsemble,
      resolveMembers(spec, loaded.config.models).map((m) => m.member),
    );
  } catch (e) {
    ctx.logger.warn(`diversity figures unavailable: ${(e as Error).message}`);
    return undefined;
  }
}

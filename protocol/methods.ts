/**
 * The daemon's JSON-RPC 2.0 surface, declared once. Each request names its params and result
 * schema; both ends validate what they receive against the same declaration.
 *
 * Versioning: `PROTOCOL_VERSION` is bumped on any incompatible change; `initialize` reports both
 * sides' versions and the client refuses a daemon of another major version.
 */
import { z } from 'zod';
import { Decision, RefineResult, StrategyName, Vote, RefineStep } from './ensemble';
import { AnswerParams, AnswerResult, AnswerVote, ExtractParams, ExtractionResult, ExtractionVote } from './tasks';
import { EventLoopDelay } from './eventLoop';
import { GenerateParams, GenerationResult, PanelAnswer } from './generation';
import { LIMITS } from './limits';
import { keyableName } from './safeName';

export const PROTOCOL_VERSION = 1;

/** Client-chosen token that ties `$/progress` notifications to a request (as in LSP). */
export const ProgressToken = z.union([z.string().max(128), z.number().int()]);
export type ProgressToken = z.infer<typeof ProgressToken>;

const MAX_TEXT = LIMITS.maxTextChars;

export const InitializeParams = z.object({
  protocolVersion: z.number().int(),
  client: z.object({ name: z.string().max(100), version: z.string().max(50) }),
  /** Receive the daemon's log lines as `$/log` notifications (the extension's output channel does). */
  subscribeLog: z.boolean().default(false),
});
export const InitializeResult = z.object({
  protocolVersion: z.number().int(),
  daemonVersion: z.string(),
  pid: z.number().int(),
});

export const ClassifyParams = z.object({
  text: z.string().min(1).max(MAX_TEXT),
  /** Candidate labels; default: the ensemble's `labels`. */
  labels: z
    .array(keyableName(z.string().min(1).max(LIMITS.maxLabelChars)))
    .min(2)
    .max(LIMITS.maxLabels)
    .optional(),
  ensemble: z.string().optional(),
  strategy: StrategyName.optional(),
  /** Overrides the ensemble's whole-request deadline. */
  deadlineMs: z.number().int().positive().max(600_000).optional(),
  instruction: z.string().max(4_000).optional(),
  /** Caller's item id and category, kept with the recording. */
  itemId: z.string().max(200).optional(),
  category: z.string().max(200).optional(),
  /** Set by `ensemble record`: the dataset this item belongs to, and its gold label. */
  dataset: z.string().max(500).optional(),
  gold: z.string().max(200).optional(),
  progressToken: ProgressToken.optional(),
});
export type ClassifyParams = z.infer<typeof ClassifyParams>;

export const RefineParams = z.object({
  text: z.string().min(1).max(MAX_TEXT),
  instruction: z.string().max(4_000).default('Improve this text: fix errors and make it clearer, keep its meaning.'),
  ensemble: z.string().optional(),
  maxTokens: z.number().int().min(1).max(4_096).default(256),
  deadlineMs: z.number().int().positive().max(600_000).optional(),
  progressToken: ProgressToken.optional(),
});
export type RefineParams = z.infer<typeof RefineParams>;

/**
 * A model's lifecycle: `idle` (not loaded yet) -> `downloading` -> `loading` -> `ready` (`busy`
 * while every slot is taken); `coolingDown` after its worker crashed or its circuit breaker opened
 * (it is retried by itself); `failed` when it crashed its worker repeatedly (not loaded again until
 * its config changes or `pool/reload`); `unavailable` when it cannot serve (file missing, does not
 * fit, server unreachable), with the reason. `error` is what daemons before these states reported.
 */
export const ModelState = z.enum(['ready', 'loading', 'idle', 'unavailable', 'error', 'downloading', 'busy', 'coolingDown', 'failed']);
export type ModelState = z.infer<typeof ModelState>;

export const ModelStatus = z.object({
  id: z.string(),
  backend: z.string(),
  state: ModelState,
  /** Why the model cannot serve, in words, when state is `unavailable` or `error`. */
  reason: z.string().optional(),
  /** What to do about it (which setting or file to change). */
  hint: z.string().optional(),
  /** Where it lives: file path or base URL. */
  location: z.string(),
  /** Memory the model needs (estimate for files not yet loaded), in bytes. */
  memoryBytes: z.number().optional(),
  /** Where the memory plan puts an in-process model: "cpu" or "gpu 12/24 layers". */
  placement: z.string().optional(),
  weight: z.number(),
  /** Feedback-derived accuracy over the recalibration window, when there is feedback. */
  recentAccuracy: z.number().nullable().optional(),
  feedbackCount: z.number().int().optional(),
  /** How often this member's vote decided the outcome, and how often it was overruled but right. */
  decisive: z.number().int().optional(),
  overruledRight: z.number().int().optional(),
  requests: z.number().int(),
  failures: z.number().int(),
  /** Requests running now, waiting in its queue, and its limits (per model: `maxConcurrency`, `maxQueue`). */
  load: z
    .object({ inFlight: z.number().int(), queued: z.number().int(), maxConcurrency: z.number().int(), maxQueue: z.number().int() })
    .optional(),
  /** Latency percentiles over its last answers, in ms. */
  latencyMs: z.object({ samples: z.number().int(), p50: z.number(), p95: z.number(), p99: z.number() }).optional(),
  /** Its circuit breaker: consecutive failures, and when open, ms until the next probe. */
  breaker: z.object({ state: z.enum(['closed', 'open', 'halfOpen']), failures: z.number().int(), retryInMs: z.number() }).optional(),
  /** In-process models: where it runs once loaded (cpu, cuda, vulkan, metal), layers offloaded, VRAM held. */
  runtime: z
    .object({ gpu: z.string(), layersOffloaded: z.number().int(), layers: z.number().int().optional(), vramBytes: z.number() })
    .optional(),
  /**
   * Its file's download, while one runs or waits for approval (`pool/download`): bytes so far
   * (a kept partial file counts) and the total (null when the server did not say and the config
   * gives no `sizeBytes`), and the file it goes to.
   */
  download: z
    .object({
      receivedBytes: z.number().min(0),
      totalBytes: z.number().min(0).nullable(),
      awaitingApproval: z.boolean(),
      path: z.string(),
    })
    .optional(),
  /** In-process models: the worker process serving it, while one runs. */
  workerPid: z.number().int().optional(),
  /** Set when this member is consistently slower than the others (daemon/pool/laggards.ts). */
  laggard: z
    .object({
      p90Ms: z.number().min(0),
      /** Median of the other members' p90. */
      othersP90Ms: z.number().min(0),
      /** What the policy does about it: only flag, lower its weight, or ask it last. */
      policy: z.enum(['flag', 'lowerWeight', 'moveLast']),
      message: z.string(),
    })
    .optional(),
});
export type ModelStatus = z.infer<typeof ModelStatus>;

/** Which members of an ensemble add diversity, from its recorded decisions and feedback (daemon/learning/diversityHints.ts). */
export const DiversityView = z.object({
  ensemble: z.string(),
  members: z.array(z.string()),
  /** Decisions the figures rest on, and how many of them have a gold label. */
  items: z.number().int(),
  withGold: z.number().int(),
  /** members x members: share of shared items with the same vote; null when never asked together. */
  agreement: z.array(z.array(z.number().nullable())),
  /** members x members: phi coefficient of the error indicators; null when undefined (needs gold). */
  errorCorrelation: z.array(z.array(z.number().nullable())),
  hints: z.array(z.string()),
});
export type DiversityView = z.infer<typeof DiversityView>;

export const EnsembleSummary = z.object({
  name: z.string(),
  members: z.array(z.object({ member: z.string(), model: z.string(), promptStyle: z.string() })),
  strategy: StrategyName,
  labels: z.array(z.string()).optional(),
  ready: z.number().int(),
});

export const PoolStatus = z.object({
  daemonVersion: z.string(),
  pid: z.number().int(),
  uptimeMs: z.number(),
  home: z.string(),
  configPath: z.string(),
  /** The last config error (the daemon keeps running on its last good config). */
  configError: z.string().nullable(),
  defaultEnsemble: z.string(),
  models: z.array(ModelStatus),
  ensembles: z.array(EnsembleSummary),
  /** Diversity of the default ensemble's members over its recent decisions; absent before there are any. */
  diversity: DiversityView.optional(),
  /** Memory plan: what the loaded and planned models take against what the machine has. */
  memory: z.object({
    totalBytes: z.number(),
    freeBytes: z.number(),
    plannedBytes: z.number(),
    /** RAM in-process models may take together (`daemon.memoryBudgetMiB`, default 90% of RAM). */
    budgetBytes: z.number().optional(),
    /** Free VRAM of the GPU in use; 0 when there is none. */
    gpuFreeBytes: z.number().optional(),
  }),
  /**
   * Where decisions, feedback and calibration are recorded: the SQLite database, or memory only
   * (lost when the daemon stops) with the reason (the file cannot be opened, or the SQLite module
   * does not load under this runtime). Absent from daemons before it existed; `driver` (which SQLite
   * binding the daemon's runtime loaded) from daemons before it existed.
   */
  storage: z
    .object({
      kind: z.enum(['sqlite', 'memory']),
      path: z.string().optional(),
      driver: z.enum(['node:sqlite', 'better-sqlite3']).optional(),
      reason: z.string().optional(),
    })
    .optional(),
  /** The daemon's event-loop delay (`perf_hooks.monitorEventLoopDelay`); absent from daemons before it existed. */
  eventLoop: EventLoopDelay.optional(),
  /**
   * `pool/status` requests clients made since the daemon started, this one included: clients follow
   * `pool/changed` instead of polling, and this shows whether they do.
   */
  statusReads: z.number().int().nonnegative().optional(),
  /**
   * What in-process models load with (`auto`, `cpu`, `cuda`, `vulkan`, `metal`; `ensemble setup gpu`),
   * and why a configured GPU runtime is not used (missing, another version): then it is `cpu`.
   */
  gpuRuntime: z.object({ gpu: z.string(), warning: z.string().optional() }).optional(),
  /**
   * The llama.cpp binary this machine loads in-process models with: its package, or why there is
   * none ("no llama.cpp runtime for darwin-x64: ..."), found at daemon start. Absent from older daemons.
   */
  llamaRuntime: z.object({ package: z.string().optional(), problem: z.string().optional() }).optional(),
});
export type PoolStatus = z.infer<typeof PoolStatus>;

/**
 * What one `pool/changed` says changed, so that a client updates its pool view in place instead of
 * reading the whole status again (see common/poolChanges.ts for applying it):
 * - `member`: a model's state moved (loading, ready, failed...): its new row;
 * - `stats`: decisions, answers or feedback moved counters and weights: every model's row, the
 *   diversity and the event-loop delay;
 * - `config`: the config was reloaded (or failed to): anything may differ, read `pool/status` again.
 */
export const PoolChange = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('member'), id: z.string(), model: ModelStatus }),
  z.object({
    kind: z.literal('stats'),
    models: z.array(ModelStatus),
    diversity: DiversityView.optional(),
    eventLoop: EventLoopDelay.optional(),
  }),
  z.object({ kind: z.literal('config'), reason: z.string() }),
]);
export type PoolChange = z.infer<typeof PoolChange>;

export const FeedbackParams = z
  .object({
    decisionId: z.string(),
    /** The right label (when the decision was wrong, or to confirm it). */
    label: z.string().optional(),
    /** Shorthand: the decision's label was right (true) or wrong (false). */
    correct: z.boolean().optional(),
  })
  .refine((p) => p.label !== undefined || p.correct !== undefined, { message: 'give "label" or "correct"' });
export type FeedbackParams = z.infer<typeof FeedbackParams>;

export const FeedbackResult = z.object({
  recorded: z.boolean(),
  /** Weights after recalibration, per model. */
  weights: z.record(z.string(), z.number()),
});

const Empty = z.object({}).strict().default({});

/** Requests: client -> daemon. */
export const requests = {
  initialize: { params: InitializeParams, result: InitializeResult },
  'ensemble/classify': { params: ClassifyParams, result: Decision },
  'ensemble/refine': { params: RefineParams, result: RefineResult },
  /** A short factual answer, normalized and voted across the ensemble ("no agreement" when no quorum). */
  'ensemble/answer': { params: AnswerParams, result: AnswerResult },
  /** Entities of the given types, each kept when a quorum of members found it, aligned to the input. */
  'ensemble/extract': { params: ExtractParams, result: ExtractionResult },
  /** Free text from the ensemble by a generation strategy: compare, fusion, firstSuccess or refine (docs/generation.md). */
  'ensemble/generate': { params: GenerateParams, result: GenerationResult },
  'pool/status': { params: Empty, result: PoolStatus },
  /** Which members of an ensemble (default: the default one) add diversity, from its recent decisions; null before there are any. */
  'pool/diversity': {
    params: z.object({ ensemble: z.string().optional(), limit: z.number().int().min(1).max(5000).default(300) }),
    result: DiversityView.nullable(),
  },
  'config/reload': { params: Empty, result: z.object({ ok: z.boolean(), error: z.string().nullable() }) },
  /** Try `failed` or `unavailable` models again (all, or the one named): forgets their crashes and loads them. */
  'pool/reload': { params: z.object({ model: z.string().optional() }), result: z.object({ reloaded: z.array(z.string()) }) },
  /**
   * Start the downloads that wait for approval (the daemon was started with ENSEMBLE_DOWNLOADS=ask,
   * as the VS Code extension does, so a first run never fetches gigabytes unasked): all, or the ones named.
   */
  'pool/download': {
    params: z.object({ models: z.array(z.string()).max(1000).optional() }),
    result: z.object({ started: z.array(z.string()) }),
  },
  /** Stop downloads in progress (the partial files are kept and resumed later); they wait for approval again. */
  'pool/cancelDownload': {
    params: z.object({ models: z.array(z.string()).max(1000).optional() }),
    result: z.object({ cancelled: z.array(z.string()) }),
  },
  /**
   * Live decisions, newest first. A page holds at most `limit` decisions and stays under
   * `LIMITS.maxReplyBytes`; pass the last one's id as `before` for the next page (empty: no more).
   */
  'decisions/recent': {
    params: z.object({ limit: z.number().int().min(1).max(500).default(50), before: z.string().max(200).optional() }),
    result: z.array(Decision),
  },
  'feedback/submit': { params: FeedbackParams, result: FeedbackResult },
  /** The right answer to a recorded answer (`ensemble/answer`'s id), normalized and kept as its gold for `ensemble eval`. */
  'answer/feedback': {
    params: z.object({ answerId: z.string().max(200), answer: z.string().min(1).max(2_000) }),
    result: z.object({ recorded: z.boolean() }),
  },
  /** Item ids of a dataset already recorded for an ensemble: lets `ensemble record` resume. */
  /**
   * Only items with every vote in count (a resume retries the rest). Paged under
   * `LIMITS.maxReplyBytes`: while `nextCursor` is present, ask again with `cursor: nextCursor`.
   */
  'recordings/items': {
    params: z.object({
      dataset: z.string().max(4_096),
      ensemble: z.string().optional(),
      cursor: z.string().max(4_096).optional(),
      /** Which recordings: classifications (the default), answers or extractions. */
      task: z.enum(['classify', 'answer', 'extract']).optional(),
    }),
    result: z.object({ ensemble: z.string(), itemIds: z.array(z.string()), nextCursor: z.string().optional() }),
  },
  /** Fits each model's calibration on the labelled votes recorded so far, and puts it in force. */
  'calibration/fit': {
    params: z.object({ method: z.enum(['temperature', 'platt']).default('temperature'), minSamples: z.number().int().min(1).default(20) }),
    result: z.array(
      z.object({
        model: z.string(),
        n: z.number().int(),
        applied: z.boolean(),
        params: z.record(z.string(), z.number()).nullable(),
        eceBefore: z.number(),
        eceAfter: z.number(),
        brierBefore: z.number(),
        brierAfter: z.number(),
        /** Votes the figures were measured on, unseen by the calibration measured (0: in-sample, too few votes). */
        heldOut: z.number().int().optional(),
      }),
    ),
  },
  /** Fits an ensemble's learned aggregation (per-member, per-category reliabilities) on its labelled recordings. */
  'aggregation/fit': {
    params: z.object({ ensemble: z.string().optional() }),
    result: z.object({
      ensemble: z.string(),
      n: z.number().int(),
      categories: z.array(z.string()),
      members: z.array(z.object({ member: z.string(), reliability: z.number(), weight: z.number() })),
      /** The router fitted on the recordings' input text (null: recordings hold no text yet). */
      router: z.object({ threshold: z.number(), fallback: z.number().int() }).nullable().optional(),
      /** Whether a stacking model was fitted (it needs items on which members disagree). */
      stacking: z.boolean().optional(),
    }),
  },
  shutdown: { params: Empty, result: z.null() },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;

export type RequestMethod = keyof typeof requests;
export type RequestParams<M extends RequestMethod> = z.input<(typeof requests)[M]['params']>;
export type ParsedParams<M extends RequestMethod> = z.output<(typeof requests)[M]['params']>;
export type RequestResult<M extends RequestMethod> = z.infer<(typeof requests)[M]['result']>;

/** What a `$/progress` notification carries while a request runs. */
export const ProgressValue = z.discriminatedUnion('kind', [
  /** A member's vote, sent the moment it arrives. */
  z.object({ kind: z.literal('vote'), decisionId: z.string(), vote: Vote, done: z.number().int(), total: z.number().int() }),
  /** A refinement step finished. */
  z.object({ kind: z.literal('refineStep'), refineId: z.string(), step: RefineStep, done: z.number().int(), total: z.number().int() }),
  /**
   * Text a refinement step just generated (a token or a few), in order; `index` is the step's place
   * in the chain (0-based), so a client can show every step growing. A step's streamed text is final
   * only once its `refineStep` reports status `ok`.
   */
  z.object({
    kind: z.literal('refineToken'),
    refineId: z.string(),
    index: z.number().int().min(0),
    member: z.string(),
    model: z.string(),
    role: RefineStep.shape.role,
    text: z.string(),
    total: z.number().int(),
  }),
  /** A panel member's answer arrived or its call ended (ensemble/generate). */
  z.object({
    kind: z.literal('panelAnswer'),
    generationId: z.string(),
    answer: PanelAnswer,
    done: z.number().int(),
    total: z.number().int(),
  }),
  /** Text the fusion judge just generated, in order (ensemble/generate). */
  z.object({ kind: z.literal('judgeToken'), generationId: z.string(), text: z.string() }),
  /** A member's answer arrived (ensemble/answer). */
  z.object({ kind: z.literal('answerVote'), answerId: z.string(), vote: AnswerVote, done: z.number().int(), total: z.number().int() }),
  /** A member's entities arrived (ensemble/extract). */
  z.object({
    kind: z.literal('extractionVote'),
    extractionId: z.string(),
    vote: ExtractionVote,
    done: z.number().int(),
    total: z.number().int(),
  }),
  /** Free-form phase message ("loading model a"...). */
  z.object({ kind: z.literal('message'), message: z.string() }),
]);
export type ProgressValue = z.infer<typeof ProgressValue>;

/** Notifications: their params here, which way each may travel in `notificationDirections` below. */
export const notifications = {
  '$/progress': z.object({ token: ProgressToken, value: ProgressValue }),
  '$/cancelRequest': z.object({ id: z.union([z.string(), z.number()]) }),
  '$/log': z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error']), message: z.string(), time: z.string() }),
  /** Pool or config changed: what changed, coalesced (a burst of decisions is one `stats` change). */
  'pool/changed': z.object({ reason: z.string(), changes: z.array(PoolChange).max(1_000) }),
} as const satisfies Record<string, z.ZodType>;

export type NotificationMethod = keyof typeof notifications;
export type NotificationParams<M extends NotificationMethod> = z.infer<(typeof notifications)[M]>;

/** Which end of a connection a peer is: the daemon serves, the client (CLI, extension) asks. */
export type PeerRole = 'daemon' | 'client';
/** Which way a notification travels: from the client to the daemon, from the daemon to the client, or either way. */
export type Direction = 'clientToDaemon' | 'daemonToClient' | 'both';

/**
 * The direction of each notification. A peer refuses one arriving the wrong way (protocol/jsonrpc.ts),
 * so a client cannot, say, forge the daemon's log or pool changes to another part of the daemon.
 */
export const notificationDirections = {
  // Progress and cancellation belong to a request, and JSON-RPC lets either end serve requests (the
  // peer is one symmetric implementation, as in LSP): they go from whoever serves, or whoever asked.
  '$/progress': 'both',
  '$/cancelRequest': 'both',
  '$/log': 'daemonToClient',
  'pool/changed': 'daemonToClient',
} as const satisfies Record<NotificationMethod, Direction>;

/** True when a peer playing `role` may receive `method` (a method this table does not know: false). */
export function mayReceive(role: PeerRole, method: string): boolean {
  if (!Object.hasOwn(notificationDirections, method)) return false;
  const direction: Direction = notificationDirections[method as NotificationMethod];
  return direction === 'both' || direction === (role === 'daemon' ? 'clientToDaemon' : 'daemonToClient');
}

/** Limits both sides enforce: declared in `limits.ts`, re-exported for existing importers. */
export { LIMITS };

export { StrategyName };

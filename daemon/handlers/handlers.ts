/**
 * Every method family's handler bound to one context: what the WebSocket sessions and the HTTP
 * gateway call, and all they call. Each family lives in its own file beside this one.
 */
import type { Decision, RefineResult } from '../../protocol/ensemble';
import type { ClassifyParams, FeedbackParams, PoolStatus, ProgressValue, RefineParams } from '../../protocol/methods';
import type { AnswerParams, AnswerResult, ExtractParams, ExtractionResult } from '../../protocol/tasks';
import type { GenerateParams, GenerationResult } from '../../protocol/generation';
import type { Calibration } from '../store/store';
import { handleAnswer } from './answer';
import { handleClassify } from './classify';
import type { HandlerContext } from './context';
import { handleExtract } from './extract';
import { handleAnswerFeedback, handleFeedback } from './feedback';
import { handleFitAggregation, handleFitCalibration } from './fit';
import { generationStrategyOf, handleGenerate } from './generate';
import { handleDiversity, handleRecent, handleRecordedItems } from './history';
import { handleRefine, type RefineExtras } from './refine';
import { recentDiversity } from './recentDiversity';
import { handleStatus, type StatusFacts } from './status';

/** How old the diversity view in `pool/changed` may be (a client's own `pool/status` read is always fresh). */
const BROADCAST_DIVERSITY_MAX_AGE_MS = 10_000;

type Progress = (v: ProgressValue) => void;

export function createHandlers(ctx: HandlerContext, facts: Omit<StatusFacts, 'statusReads'>) {
  let statusReads = 0;
  const statusFacts: StatusFacts = { ...facts, statusReads: () => statusReads };
  const broadcastDiversity = recentDiversity(BROADCAST_DIVERSITY_MAX_AGE_MS);
  return {
    classify: (params: ClassifyParams, signal: AbortSignal, progress: Progress): Promise<Decision> =>
      handleClassify(ctx, params, signal, progress),
    answer: (params: AnswerParams, signal: AbortSignal, progress: Progress): Promise<AnswerResult> =>
      handleAnswer(ctx, params, signal, progress),
    extract: (params: ExtractParams, signal: AbortSignal, progress: Progress): Promise<ExtractionResult> =>
      handleExtract(ctx, params, signal, progress),
    refine: (params: RefineParams, signal: AbortSignal, progress: Progress, extra?: RefineExtras): Promise<RefineResult> =>
      handleRefine(ctx, params, signal, progress, extra),
    generate: (params: GenerateParams, signal: AbortSignal, progress: Progress): Promise<GenerationResult> =>
      handleGenerate(ctx, params, signal, progress),
    generationStrategyOf: (ensemble: string | undefined) => generationStrategyOf(ctx, ensemble),
    status: (): PoolStatus => handleStatus(ctx, statusFacts),
    /** The status `pool/changed` is built from: the same, with a diversity view up to a few seconds old. */
    broadcastStatus: (): PoolStatus => handleStatus(ctx, statusFacts, broadcastDiversity),
    /** A client asked for `pool/status` (counted in status: clients should follow `pool/changed` instead of polling). */
    countStatusRead: (): void => {
      statusReads++;
    },
    feedback: (params: FeedbackParams) => handleFeedback(ctx, params),
    answerFeedback: (answerId: string, right: string) => handleAnswerFeedback(ctx, answerId, right),
    recent: (limit: number, before?: string) => handleRecent(ctx, limit, before),
    recordedItems: (dataset: string, ensemble: string | undefined, cursor?: string, task?: 'classify' | 'answer' | 'extract') =>
      handleRecordedItems(ctx, dataset, ensemble, cursor, task),
    diversityOf: (ensemble: string | undefined, limit: number) => handleDiversity(ctx, ensemble, limit),
    fitAggregation: (ensemble: string | undefined) => handleFitAggregation(ctx, ensemble),
    fitCalibration: (method: Calibration['method'], minSamples: number) => handleFitCalibration(ctx, method, minSamples),
    reloadConfig: () => ctx.live.reload(),
    reloadModels: (model?: string) => ({ reloaded: ctx.pool.reload(model) }),
    approveDownloads: (models?: string[]) => ({ started: ctx.pool.approveDownloads(models) }),
    cancelDownloads: (models?: string[]) => ({ cancelled: ctx.pool.cancelDownloads(models) }),
  };
}

export type Handlers = ReturnType<typeof createHandlers>;

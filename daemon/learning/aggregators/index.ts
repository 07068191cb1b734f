/**
 * Research-only estimators `ensemble eval` reports beside the engine's strategies, for comparison:
 * Dawid-Skene needs every item at once (it is fitted on the unlabelled test items too) and the
 * oracle reads the gold label. Neither is a strategy the daemon runs; neither is ever recommended.
 */
import { dawidSkeneAggregator } from './dawidSkene';
import { oracle } from './oracle';
import type { Aggregator } from './types';

export const RESEARCH_AGGREGATORS: readonly Aggregator[] = [dawidSkeneAggregator, oracle];

export * from './types';

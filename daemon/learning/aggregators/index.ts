/** Every aggregation strategy `ensemble eval` compares, in report order. */
import { dawidSkeneAggregator } from './dawidSkene';
import { earlyExit } from './earlyExit';
import { majority } from './majority';
import { oracle } from './oracle';
import { router } from './router';
import { stacking } from './stacking';
import type { Aggregator } from './types';
import { weighted, weightedCategory } from './weighted';

export const AGGREGATORS: readonly Aggregator[] = [majority, weighted, weightedCategory, stacking, router, dawidSkeneAggregator, earlyExit, oracle];

/** Strategies that need no train split (reported on every item with `--train-fraction 0`). */
export const FIXED_AGGREGATORS: readonly Aggregator[] = AGGREGATORS.filter((a) => !a.learned);

export * from './types';

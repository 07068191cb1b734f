/**
 * Oracle: right whenever any member is right. Not a strategy one can run (it reads the gold label);
 * the ceiling of any aggregation of these members' answers.
 */
import { type Aggregator, callsOf } from './types';

export const oracle: Aggregator = {
  name: 'oracle',
  description: 'right when any member is right (ceiling; reads gold)',
  learned: false,
  fit: () => ({
    predict: (item) => {
      const hit = item.gold !== null && item.votes.includes(item.gold);
      const first = item.votes.find((v) => v !== null && v !== undefined) ?? null;
      return { answer: hit ? item.gold : first, calls: callsOf(item) };
    },
  }),
};

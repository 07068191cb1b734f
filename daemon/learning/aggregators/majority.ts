/** Plurality vote: blanks abstain, absent members are not asked, ties go to the earliest-listed member. */
import { type Aggregator, callsOf, plurality } from './types';

export const majority: Aggregator = {
  name: 'majority',
  description: 'plurality vote; blanks abstain; ties -> earliest-listed member',
  learned: false,
  fit: () => ({ predict: (item) => ({ answer: plurality(item.votes), calls: callsOf(item) }) }),
};

/**
 * `ensemble/classify` (and the gateway's classifications): the ensemble and its labels, the
 * laggard policy, the plan (which carries what was learned), the run, a check that nothing
 * non-finite leaves the daemon, and the record.
 */
import type { Decision, StrategyName } from '../../protocol/ensemble';
import { EnsembleError } from '../../protocol/errors';
import type { ClassifyParams, ProgressValue } from '../../protocol/methods';
import { nonFiniteNumber } from '../../common/finite';
import { classify } from '../ensemble/classify';
import type { HandlerContext } from './context';
import { sourceOf, writeRecord } from './records';

export async function handleClassify(
  ctx: HandlerContext,
  params: ClassifyParams,
  signal: AbortSignal,
  progress: (v: ProgressValue) => void,
): Promise<Decision> {
  const { name, spec, members: listed } = ctx.live.ensemble(params.ensemble);
  const config = ctx.live.config;
  // The laggard policy (lower a slow member's weight, or ask it last) runs before the plan is built, so the plan sees it.
  const members = ctx.pool.laggards.applyPolicy(listed);
  const labels = params.labels ?? spec.labels;
  if (!labels) {
    throw new EnsembleError('BadInput', `ensemble "${name}" has no "labels" in ${ctx.configPath}: pass labels with the request`);
  }
  if (new Set(labels).size !== labels.length) throw new EnsembleError('BadInput', 'labels must be distinct');
  const strategy: StrategyName = params.strategy ?? spec.strategy;
  const plan = ctx.adaptation.plan(
    name,
    strategy,
    members,
    { text: params.text, category: params.category, labels },
    { earlyExit: spec.earlyExit, ...(spec.router ? { route: spec.router } : {}) },
    config,
  );
  const decision = await classify(
    ctx.pool,
    {
      ensemble: name,
      members,
      text: params.text,
      labels,
      instruction: params.instruction ?? spec.instruction,
      strategy,
      plan,
      memberTimeoutMs: spec.memberTimeoutMs,
      deadlineMs: params.deadlineMs ?? spec.deadlineMs,
    },
    signal,
    (vote, done, total, decisionId) => progress({ kind: 'vote', decisionId, vote, done, total }),
  );
  // Nothing non-finite leaves the daemon or reaches the store: a vote's numbers are checked by
  // its backend, and the whole decision here, with the path of what is wrong.
  const bad = nonFiniteNumber(decision);
  if (bad) {
    ctx.logger.error(`decision ${decision.id} holds a non-finite number at ${bad} and was not recorded`);
    throw new EnsembleError('InternalError', `the decision came out malformed (${bad} is not a finite number); it was not recorded`);
  }
  const meta = {
    source: sourceOf(params),
    itemId: params.itemId,
    category: params.category,
    dataset: params.dataset,
    gold: params.gold,
    text: params.text,
  };
  // Live decisions go to the SQLite store's writer thread (ThreadedStore), off the hot path.
  writeRecord(
    ctx,
    `decision ${decision.id}`,
    () => {
      ctx.store.recordDecision(decision, meta);
      if (params.gold !== undefined) ctx.adaptation.labelled();
    },
    params,
    'decided',
  );
  // Request counters and model states moved: clients refresh their pool views.
  ctx.changed({ kind: 'stats', reason: 'decision' });
  return decision;
}

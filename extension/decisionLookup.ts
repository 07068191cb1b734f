/**
 * What opening the inspector on a decision costs: nothing when this window already holds the
 * decision (a code lens always names one it classified), one `decisions/recent` read otherwise (a
 * lens restored after a reload, or the inspector opened without a decision, which shows history).
 * Kept free of `vscode` so the count of daemon requests is tested in plain node.
 */
import type { Decision } from '../protocol/ensemble';

/** How many recent decisions one history read asks for. */
export const HISTORY_LIMIT = 50;
const HISTORY_TIMEOUT_MS = 10_000;

export interface HeldDecisions {
  /** True when the decision is shown already, finished or still collecting votes. */
  holds(decisionId: string): boolean;
  mergeRecent(decisions: readonly Decision[]): void;
}

export interface RecentDecisionsClient {
  request(method: 'decisions/recent', params: { limit: number }, opts: { timeoutMs: number }): Promise<Decision[]>;
}

/** Reads the daemon's history into `held` unless it holds `decisionId`; true when it read. */
export async function loadUnlessHeld(decisionId: string | undefined, held: HeldDecisions, client: RecentDecisionsClient): Promise<boolean> {
  if (decisionId !== undefined && held.holds(decisionId)) return false;
  held.mergeRecent(await client.request('decisions/recent', { limit: HISTORY_LIMIT }, { timeoutMs: HISTORY_TIMEOUT_MS }));
  return true;
}

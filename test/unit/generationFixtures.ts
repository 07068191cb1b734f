/** A recorded compare generation and its panel answers, as the daemon makes them, for the store and eval tests. */
import type { GenerationResult, PanelAnswer } from '../../protocol/generation';

export function panelAnswer(member: string, status: PanelAnswer['status'], text: string): PanelAnswer {
  return { member, model: member, status, text, latencyMs: 7, tokens: 3, finishReason: status === 'ok' ? 'stop' : null, round: 1 };
}

export function compareResult(id: string, panel: PanelAnswer[]): GenerationResult {
  return {
    id,
    ensemble: 'e',
    strategy: 'compare',
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 1)).toISOString(),
    prompt: 'Capital of France?',
    text: '',
    from: null,
    panel,
    judge: null,
    missing: [],
    calls: panel.length,
    rounds: 1,
    elapsedMs: 9,
  };
}

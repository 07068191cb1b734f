/**
 * Decisions the inspector shows: the recent ones (from the daemon's `decisions/recent` and from
 * this window's requests) and the ones still collecting votes. The inspector listens to `onEvent`;
 * code lenses and commands add to it. Bounded, so a long session does not grow without end.
 */
import * as vscode from 'vscode';
import type { Decision, Vote } from '../protocol/ensemble';
import type { DecisionView, PendingDecision, ToWebview } from '../protocol/webview';

const MAX_DECISIONS = 100;
const PREVIEW_CHARS = 400;

export function preview(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > PREVIEW_CHARS ? `${t.slice(0, PREVIEW_CHARS - 1)}…` : t;
}

export class DecisionStore implements vscode.Disposable {
  private views: DecisionView[] = [];
  private readonly pending = new Map<string, PendingDecision>();
  private focusId: string | null = null;
  private readonly emitter = new vscode.EventEmitter<ToWebview>();
  readonly onEvent = this.emitter.event;

  get focus(): string | null {
    return this.focusId;
  }

  all(): DecisionView[] {
    return [...this.views];
  }

  pendingAll(): PendingDecision[] {
    return [...this.pending.values()];
  }

  get(id: string): DecisionView | undefined {
    return this.views.find((v) => v.decision.id === id);
  }

  holds(id: string): boolean {
    return this.pending.has(id) || this.get(id) !== undefined;
  }

  /** A vote arrived for a running request. */
  addVote(
    decisionId: string,
    vote: Vote,
    done: number,
    total: number,
    base: Omit<PendingDecision, 'decisionId' | 'votes' | 'done' | 'total'>,
  ): void {
    const p = this.pending.get(decisionId) ?? { ...base, decisionId, votes: [], done: 0, total };
    const votes = p.votes.filter((v) => v.member !== vote.member);
    votes.push(vote);
    const next: PendingDecision = { ...p, votes, done: Math.max(p.done, done), total };
    this.pending.set(decisionId, next);
    this.focusId = decisionId;
    this.emitter.fire({ type: 'pending', pending: next });
  }

  /** A request finished (or the daemon's history was read): keep the decision, newest first. */
  addDecision(decision: Decision, opts: { text?: string; focus?: boolean } = {}): DecisionView {
    this.pending.delete(decision.id);
    const old = this.get(decision.id);
    const view: DecisionView = {
      decision,
      textPreview: opts.text !== undefined ? preview(opts.text) : old?.textPreview,
      feedback: old?.feedback,
    };
    this.views = [view, ...this.views.filter((v) => v.decision.id !== decision.id)].slice(0, MAX_DECISIONS);
    if (opts.focus) this.focusId = decision.id;
    this.emitter.fire({ type: 'decision', view, focus: opts.focus ?? false });
    return view;
  }

  /** History from the daemon: merged under what this window already has. */
  mergeRecent(decisions: readonly Decision[]): void {
    const known = new Set(this.views.map((v) => v.decision.id));
    const older = decisions.filter((d) => !known.has(d.id)).map((decision): DecisionView => ({ decision }));
    this.views = [...this.views, ...older].sort((a, b) => b.decision.createdAt.localeCompare(a.decision.createdAt)).slice(0, MAX_DECISIONS);
  }

  failPending(decisionId: string | undefined, message: string): void {
    if (decisionId === undefined || !this.pending.delete(decisionId)) return;
    this.emitter.fire({ type: 'pendingFailed', decisionId, message });
  }

  setFocus(id: string): void {
    this.focusId = id;
    this.emitter.fire({ type: 'focus', decisionId: id });
  }

  setFeedback(id: string, feedback: NonNullable<DecisionView['feedback']>): void {
    const v = this.get(id);
    if (v) v.feedback = feedback;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/**
 * The inspector's two frequent messages, drawn in place: a vote updates its member's row in the
 * request's pending view, a refinement token grows its step's text. Everything else (and either of
 * these when the view on screen is not the one they change) redraws the page, which is rare.
 */
import type { ToWebview } from '../protocol/webview';
import type { Model } from './model';
import { updatePendingView } from './render/decision';
import { updateTaskView } from './render/tasks';

/**
 * True when the change `msg` made (from `before` to `after`) is on screen now, through `shown`
 * (the focused view) or because nothing visible changed; false when the page must be drawn anew.
 */
export function updateInPlace(shown: HTMLElement | undefined, before: Model, after: Model, msg: ToWebview): boolean {
  switch (msg.type) {
    case 'pending': {
      const pending = after.pending.find((p) => p.decisionId === msg.pending.decisionId);
      return shown !== undefined && pending !== undefined && before.focus === after.focus && updatePendingView(shown, pending);
    }
    case 'refineToken': {
      if (after === before) return true; // a token for a chain the page does not know: nothing changed
      const task = after.tasks.find((t) => t.id === msg.delta.id);
      if (!task) return false;
      // Only the focused view shows a chain's text; the task list shows whether it is running, which a token leaves.
      if (after.focus !== task.id) return true;
      return shown !== undefined && updateTaskView(shown, task);
    }
    default:
      return false;
  }
}

/**
 * Refinements, extractions and answers this window ran, for the inspector: each kept as the view
 * the inspector shows (bounded), refinement tokens applied as they stream and relayed as deltas.
 */
import * as vscode from 'vscode';
import type { RefineResult } from '../protocol/ensemble';
import type { ProgressValue } from '../protocol/methods';
import { emptyRefineView, withRefineResult, withRefineStep, withRefineToken, type RefineView, type TaskView } from '../protocol/taskViews';
import type { ToWebview } from '../protocol/webview';
import { preview } from './decisionStore';

const MAX_TASKS = 20;

export class TaskStore implements vscode.Disposable {
  private tasks: TaskView[] = [];
  private readonly emitter = new vscode.EventEmitter<ToWebview>();
  readonly onEvent = this.emitter.event;

  all(): TaskView[] {
    return [...this.tasks];
  }

  /** Shows a task (new or changed) and focuses it. */
  put(task: TaskView, focus = true): void {
    this.tasks = [task, ...this.tasks.filter((t) => t.id !== task.id)].slice(0, MAX_TASKS);
    this.emitter.fire({ type: 'task', task, focus });
  }

  /**
   * Follows one refinement: returns the progress listener to pass to `ensemble/refine` and a
   * function to call with its result. The chain appears in the inspector with its first token.
   */
  trackRefine(text: string): { onProgress: (v: ProgressValue) => void; finish: (result: RefineResult) => void } {
    let view: RefineView | undefined;
    const local = `refine-${Date.now()}`;
    const ensure = (id: string, total: number): RefineView => {
      if (!view) {
        view = emptyRefineView(id, total, preview(text));
        this.put(view);
      }
      return view;
    };
    return {
      onProgress: (v) => {
        if (v.kind === 'refineToken') {
          const delta = { id: v.refineId, index: v.index, member: v.member, model: v.model, role: v.role, text: v.text, total: v.total };
          view = withRefineToken(ensure(v.refineId, v.total), delta);
          this.replace(view);
          this.emitter.fire({ type: 'refineToken', delta });
        } else if (v.kind === 'refineStep') {
          view = withRefineStep(ensure(v.refineId, v.total), v.step, v.done - 1, v.total);
          this.put(view);
        }
      },
      finish: (result) => {
        view = withRefineResult(view ?? emptyRefineView(local, result.steps.length, preview(text)), result);
        this.put(view);
      },
    };
  }

  /** Updates the stored view without telling the inspector (it applies the same delta itself). */
  private replace(task: TaskView): void {
    this.tasks = this.tasks.map((t) => (t.id === task.id ? task : t));
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

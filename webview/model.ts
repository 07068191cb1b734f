/** The inspector's state, and how each message from the extension changes it (pure). */
import type { PoolStatus } from '../protocol/methods';
import { withRefineToken, type TaskView } from '../protocol/taskViews';
import type { ConnectionState, DecisionView, PendingDecision, ToWebview, WebviewState } from '../protocol/webview';

export interface Notice {
  ok: boolean;
  message: string;
}

export interface Model {
  connection: ConnectionState;
  pool: PoolStatus | null;
  decisions: DecisionView[];
  pending: PendingDecision[];
  focus: string | null;
  notices: Record<string, Notice>;
  openSections: string[];
  /** Refinements, extractions and answers, newest first. */
  tasks: TaskView[];
}

const MAX_TASKS = 20;

const KEEP_IN_STATE = 30;

export function initialModel(saved: WebviewState | undefined): Model {
  return {
    connection: 'stopped',
    pool: saved?.pool ?? null,
    decisions: saved?.decisions ?? [],
    pending: [],
    focus: saved?.focus ?? null,
    notices: {},
    openSections: saved?.openSections ?? ['history', 'pool'],
    tasks: [],
  };
}

export function apply(m: Model, msg: ToWebview): Model {
  switch (msg.type) {
    case 'init':
      return {
        ...m,
        connection: msg.connection,
        pool: msg.pool,
        decisions: msg.decisions,
        pending: msg.pending,
        focus: msg.focus ?? m.focus,
        tasks: msg.tasks,
      };
    case 'task':
      return {
        ...m,
        tasks: [msg.task, ...m.tasks.filter((t) => t.id !== msg.task.id)].slice(0, MAX_TASKS),
        focus: msg.focus ? msg.task.id : m.focus,
      };
    case 'refineToken': {
      const chain = m.tasks.find((t) => t.id === msg.delta.id);
      if (!chain || chain.kind !== 'refine') return m; // the task message announcing the chain comes first
      return { ...m, tasks: m.tasks.map((t) => (t === chain ? withRefineToken(chain, msg.delta) : t)) };
    }
    case 'pending': {
      const pending = [...m.pending.filter((p) => p.decisionId !== msg.pending.decisionId), msg.pending];
      return { ...m, pending, focus: msg.pending.decisionId };
    }
    case 'decision': {
      const id = msg.view.decision.id;
      return {
        ...m,
        pending: m.pending.filter((p) => p.decisionId !== id),
        decisions: [msg.view, ...m.decisions.filter((d) => d.decision.id !== id)],
        focus: msg.focus || m.focus === id ? id : m.focus,
      };
    }
    case 'pendingFailed':
      return {
        ...m,
        pending: m.pending.filter((p) => p.decisionId !== msg.decisionId),
        notices: { ...m.notices, [msg.decisionId]: { ok: false, message: msg.message } },
      };
    case 'pool':
      return { ...m, pool: msg.pool };
    case 'connection':
      return { ...m, connection: msg.connection };
    case 'focus':
      return { ...m, focus: msg.decisionId };
    case 'feedbackResult':
      return {
        ...m,
        decisions: m.decisions.map((d) => (d.decision.id === msg.decisionId && msg.ok ? { ...d, feedback: msg.feedback } : d)),
        notices: { ...m.notices, [msg.decisionId]: { ok: msg.ok, message: msg.message } },
      };
  }
}

export function toState(m: Model): WebviewState {
  return { focus: m.focus, decisions: m.decisions.slice(0, KEEP_IN_STATE), pool: m.pool, openSections: m.openSections };
}

/**
 * The inspector page. It receives typed messages from the extension (validated here again), keeps
 * its state with setState so a hidden or restored panel comes back as it was, and posts back only
 * `FromWebview` messages. It never talks to the daemon.
 */
import './zodConfig';
import { FromWebview, ToWebview, WebviewState } from '../protocol/webview';
import { h, icon } from './dom';
import { updateInPlace } from './liveUpdate';
import { apply, initialModel, toState, type Model } from './model';
import { decisionView, pendingView } from './render/decision';
import { historyList } from './render/history';
import { poolTable } from './render/pool';
import { taskList, taskView } from './render/tasks';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const saved = WebviewState.safeParse(vscode.getState());
let model: Model = initialModel(saved.success ? saved.data : undefined);
/** The focused view on screen, which votes and tokens update in place. */
let shown: HTMLElement | undefined;

function post(message: FromWebview): void {
  vscode.postMessage(FromWebview.parse(message));
}

const CONNECTION: Record<Model['connection'], { icon: string; text: string }> = {
  connected: { icon: 'pass-filled', text: 'connected' },
  starting: { icon: 'loading', text: 'starting' },
  reconnecting: { icon: 'sync', text: 'reconnecting' },
  stopped: { icon: 'debug-disconnect', text: 'not connected' },
  gaveUp: { icon: 'error', text: 'daemon down' },
};

function section(id: string, title: string, count: string, body: HTMLElement): HTMLElement {
  const details = h(
    'details',
    { class: `panel ${id}`, data: { section: id } },
    h('summary', {}, h('span', { class: 'section-title' }, title), h('span', { class: 'muted' }, count)),
    body,
  );
  details.open = model.openSections.includes(id);
  details.addEventListener('toggle', () => {
    const rest = model.openSections.filter((s) => s !== id);
    model = { ...model, openSections: details.open ? [...rest, id] : rest };
    vscode.setState(toState(model));
  });
  return details;
}

function focused(): HTMLElement {
  const task = model.tasks.find((t) => t.id === model.focus);
  if (task) return taskView(task);
  const pending = model.pending.find((p) => p.decisionId === model.focus);
  if (pending) return pendingView(pending);
  const view = model.decisions.find((d) => d.decision.id === model.focus) ?? (model.focus === null ? model.decisions[0] : undefined);
  if (view) return decisionView(view, model.notices[view.decision.id], post);
  const failed = model.focus ? model.notices[model.focus] : undefined;
  return h(
    'section',
    { class: 'decision empty' },
    failed ? h('p', { class: 'notice failed' }, icon('error'), failed.message) : null,
    h('p', { class: 'muted' }, 'Select some text and run "Ensemble: Classify": every model\'s vote appears here as it arrives.'),
  );
}

function render(): void {
  const app = document.getElementById('app');
  if (!app) return;
  const c = CONNECTION[model.connection];
  const pool = model.pool;
  const usable = pool ? pool.models.filter((m) => m.state !== 'unavailable' && m.state !== 'error').length : 0;
  shown = focused();
  app.replaceChildren(
    h(
      'header',
      { class: 'toolbar' },
      h('h1', {}, icon('pulse'), 'Ensemble Inspector'),
      h(
        'span',
        { class: `connection ${model.connection}` },
        icon(c.icon, model.connection === 'starting' || model.connection === 'reconnecting' ? 'codicon-modifier-spin' : ''),
        c.text,
      ),
      h(
        'button',
        {
          class: 'icon-button',
          title: 'Refresh history and pool',
          attrs: { 'aria-label': 'Refresh' },
          on: { click: () => post({ type: 'refresh' }) },
        },
        icon('refresh'),
      ),
      h(
        'button',
        {
          class: 'icon-button',
          title: 'Open the pool config',
          attrs: { 'aria-label': 'Open config' },
          on: { click: () => post({ type: 'openConfig' }) },
        },
        icon('json'),
      ),
    ),
    shown,
    section(
      'history',
      'History',
      `${model.decisions.length}`,
      historyList(model.decisions, model.focus, (id) => {
        model = { ...model, focus: id };
        vscode.setState(toState(model));
        render();
      }),
    ),
    section(
      'tasks',
      'Refinements, extractions, answers',
      `${model.tasks.length}`,
      taskList(model.tasks, model.focus, (id) => {
        model = { ...model, focus: id };
        render();
      }),
    ),
    section('pool', 'Pool', pool ? `${usable}/${pool.models.length} models` : '', poolTable(pool)),
  );
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = ToWebview.safeParse(event.data);
  if (!parsed.success) {
    console.warn('ensemble inspector: ignored a malformed message', parsed.error.issues);
    return;
  }
  const before = model;
  model = apply(model, parsed.data);
  vscode.setState(toState(model));
  if (!updateInPlace(shown, before, model, parsed.data)) render();
});

render();
post({ type: 'ready' });

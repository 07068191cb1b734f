/**
 * The Ensemble Inspector: one webview panel showing each decision member by member, votes as
 * they arrive, the history and the pool. The panel only relays: daemon data reaches it as typed
 * `ToWebview` messages, and what it posts back is validated as `FromWebview` before anything runs.
 */
import { z } from 'zod';
import * as vscode from 'vscode';
import { FromWebview, ToWebview, type DecisionView } from '../protocol/webview';
import type { DaemonManager } from './daemon/daemonManager';
import { loadUnlessHeld } from './decisionLookup';
import type { DecisionStore } from './decisionStore';
import type { TaskStore } from './taskStore';
import { showError } from './notify';
import { inspectorHtml, webviewRoots } from './webviewHtml';

export const INSPECTOR_VIEW_TYPE = 'ensemble.inspector';

export class InspectorPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: DecisionStore,
    private readonly daemon: DaemonManager,
    private readonly log: vscode.LogOutputChannel,
    private readonly tasks?: TaskStore,
  ) {
    this.disposables.push(
      store.onEvent((m) => this.post(m)),
      ...(tasks ? [tasks.onEvent((m) => this.post(m))] : []),
      daemon.onDidChangePool((pool) => this.post({ type: 'pool', pool })),
      daemon.onDidChangeState((connection) => this.post({ type: 'connection', connection })),
      vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => this.adopt(panel),
      }),
    );
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  get isVisible(): boolean {
    return this.panel?.visible ?? false;
  }

  /** Opens (or reveals) the inspector, focused on `decisionId` when given. */
  show(decisionId?: string): void {
    if (decisionId) this.store.setFocus(decisionId);
    if (this.panel) {
      this.panel.reveal(this.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      INSPECTOR_VIEW_TYPE,
      'Ensemble Inspector',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: webviewRoots(this.extensionUri) },
    );
    this.adopt(panel);
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.webview.options = { enableScripts: true, localResourceRoots: webviewRoots(this.extensionUri) };
    panel.webview.html = inspectorHtml(panel.webview, this.extensionUri);
    this.panelDisposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
      panel.onDidDispose(() => {
        this.panel = undefined;
        for (const d of this.panelDisposables.splice(0)) d.dispose();
      }),
    );
  }

  private post(message: ToWebview): void {
    if (!this.panel) return;
    // Validate what we send too: a daemon field that drifted must not reach the page unchecked.
    const parsed = ToWebview.safeParse(message);
    if (!parsed.success) {
      this.log.error(`not sent to the inspector (${message.type}): ${z.prettifyError(parsed.error)}`);
      return;
    }
    void this.panel.webview.postMessage(parsed.data);
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = FromWebview.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`ignored a malformed message from the inspector: ${z.prettifyError(parsed.error)}`);
      return;
    }
    const m = parsed.data;
    switch (m.type) {
      case 'ready':
        return this.sendInit();
      case 'refresh':
        await this.daemon.refreshPool();
        return this.refreshHistory();
      case 'showPoolStatus':
        return void vscode.commands.executeCommand('ensemble.showPoolStatus');
      case 'openConfig':
        return void vscode.commands.executeCommand('ensemble.openConfig');
      case 'feedback':
        return this.feedback(m.decisionId, m.correct, m.label);
    }
  }

  /**
   * Opens the inspector on `decisionId` (a code lens click) or on the history. The daemon is asked
   * only for what this window does not hold: a lens over a decision it classified costs no request.
   */
  async open(decisionId?: string): Promise<void> {
    this.show(decisionId);
    if (await this.loadHistory(decisionId)) this.sendInit();
  }

  /** Reads the daemon's history and, when the panel is open, shows it. */
  async refreshHistory(): Promise<void> {
    await this.loadHistory(undefined);
    this.sendInit();
  }

  /** Reads the daemon's recent decisions into the store unless it holds `decisionId` (quietly: history is a nicety). */
  private async loadHistory(decisionId: string | undefined): Promise<boolean> {
    try {
      return await loadUnlessHeld(decisionId, this.store, this.daemon);
    } catch (e) {
      this.log.warn(`decisions/recent: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  private sendInit(): void {
    this.post({
      type: 'init',
      connection: this.daemon.connectionState,
      pool: this.daemon.poolStatus,
      decisions: this.store.all(),
      pending: this.store.pendingAll(),
      focus: this.store.focus,
      tasks: this.tasks?.all() ?? [],
    });
  }

  private async feedback(decisionId: string, correct: boolean | undefined, label: string | undefined): Promise<void> {
    const feedback: NonNullable<DecisionView['feedback']> = { correct, label };
    try {
      const result = await this.daemon.request('feedback/submit', { decisionId, correct, label });
      this.store.setFeedback(decisionId, feedback);
      const weights = Object.entries(result.weights)
        .map(([m, w]) => `${m} ${w.toFixed(2)}`)
        .join(', ');
      this.post({
        type: 'feedbackResult',
        decisionId,
        ok: result.recorded,
        message: result.recorded
          ? `Feedback recorded.${weights ? ` Weights now: ${weights}.` : ''}`
          : 'The daemon did not record the feedback.',
        feedback,
      });
    } catch (e) {
      this.post({
        type: 'feedbackResult',
        decisionId,
        ok: false,
        message: e instanceof Error ? e.message : String(e),
        feedback: undefined,
      });
      showError(e, this.log, 'feedback');
    }
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

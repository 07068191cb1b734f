/** The status bar item: connection and pool health (`$(pulse) Ensemble: 3/3 models`); opens the inspector. */
import * as vscode from 'vscode';
import type { PoolStatus } from '../protocol/methods';
import type { ConnectionState } from '../protocol/webview';
import type { DaemonManager } from './daemon/daemonManager';

import { modelCountText, readyModels } from './downloadSummary';

export interface StatusView {
  text: string;
  tooltip: string;
  background: 'warning' | 'error' | undefined;
}

export function statusView(state: ConnectionState, pool: PoolStatus | null): StatusView {
  switch (state) {
    case 'starting':
      return { text: '$(loading~spin) Ensemble: starting', tooltip: 'Starting the Ensemble daemon…', background: undefined };
    case 'reconnecting':
      return {
        text: '$(sync~spin) Ensemble: reconnecting',
        tooltip: 'The connection to the daemon dropped; reconnecting…',
        background: 'warning',
      };
    case 'gaveUp':
      return {
        text: '$(error) Ensemble: daemon down',
        tooltip: 'The daemon kept crashing and is not restarted. Run "Ensemble: Start Daemon" to retry.',
        background: 'error',
      };
    case 'stopped':
      return {
        text: '$(debug-disconnect) Ensemble',
        tooltip: 'The Ensemble daemon is not running; it starts when needed.',
        background: undefined,
      };
    case 'connected': {
      if (!pool) return { text: '$(pulse) Ensemble', tooltip: 'Connected to the Ensemble daemon', background: undefined };
      const ok = readyModels(pool);
      const total = pool.models.length;
      const lines = pool.models.map((m) => `${m.id} (${m.backend}): ${m.state}${m.reason ? ` — ${m.reason}` : ''}`);
      // A consistently slow member (daemon/pool/laggards.ts) says so, with what to do about it.
      for (const m of pool.models) if (m.laggard) lines.push(`$(watch) ${m.laggard.message}`);
      if (pool.configError) lines.unshift(`Config error: ${pool.configError}`);
      const inMemory = pool.storage?.kind === 'memory';
      if (inMemory) lines.unshift(`Recording in memory only (lost when the daemon stops): ${pool.storage?.reason ?? 'SQLite unavailable'}`);
      const gpuWarning = pool.gpuRuntime?.warning;
      if (gpuWarning) lines.unshift(`GPU: ${gpuWarning}`);
      return {
        text: `$(pulse) Ensemble: ${modelCountText(pool)}`,
        tooltip: [`Ensemble daemon ${pool.daemonVersion} (pid ${pool.pid})`, ...lines, '', 'Click to open the inspector'].join('\n'),
        background: ok < total || pool.configError || inMemory || gpuWarning ? 'warning' : undefined,
      };
    }
  }
}

export class EnsembleStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('ensemble.status', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly daemon: DaemonManager) {
    this.item.name = 'Ensemble';
    this.item.command = 'ensemble.openInspector';
    this.disposables.push(
      daemon.onDidChangeState(() => this.update()),
      daemon.onDidChangePool(() => this.update()),
    );
    this.update();
    this.item.show();
  }

  get text(): string {
    return this.item.text;
  }

  private update(): void {
    const v = statusView(this.daemon.connectionState, this.daemon.poolStatus);
    this.item.text = v.text;
    this.item.tooltip = v.tooltip;
    this.item.backgroundColor = v.background ? new vscode.ThemeColor(`statusBarItem.${v.background}Background`) : undefined;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.item.dispose();
  }
}

/**
 * Model downloads in the editor. The extension starts its daemon with ENSEMBLE_DOWNLOADS=ask, so
 * a first run fetches nothing unasked: when the pool reports models waiting for approval, one
 * notification per session names the size and the folder and offers Download / Open Config /
 * Not now. While downloads run (approved here, or started by a CLI's daemon), a progress
 * notification shows percent and speed; its Cancel button stops them (`pool/cancelDownload`: the
 * partial files stay and resume on the next Download). What was shown is kept in `events` for the
 * extension-host tests.
 */
import * as vscode from 'vscode';
import type { DaemonManager } from './daemon/daemonManager';
import { downloadProgressText, downloadPromptText, downloadSummary } from './downloadSummary';
import { showError } from './notify';

export class DownloadsUi implements vscode.Disposable {
  /** What the user was shown: "prompt: …", "progress: …", "cancelled", "done". */
  readonly events: string[] = [];
  private prompted = false;
  private progressShown = false;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly daemon: DaemonManager,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscription = daemon.onDidChangePool(() => this.onPool());
  }

  private onPool(): void {
    const s = downloadSummary(this.daemon.poolStatus);
    if (s.running.length && !this.progressShown) this.showProgress();
    else if (s.waiting.length && !s.running.length && !this.prompted) void this.prompt();
  }

  private async prompt(): Promise<void> {
    this.prompted = true;
    const message = downloadPromptText(downloadSummary(this.daemon.poolStatus));
    this.events.push(`prompt: ${message}`);
    const choice = await vscode.window.showInformationMessage(message, 'Download', 'Open Config', 'Not now');
    if (choice === 'Download') await this.download();
    else if (choice === 'Open Config') await vscode.commands.executeCommand('ensemble.openConfig');
  }

  /** `Ensemble: Download Models`, and the prompt's Download: approve, then show the progress. */
  async download(): Promise<string[]> {
    try {
      const { started } = await this.daemon.request('pool/download', {});
      this.log.info(`downloads approved: ${started.join(', ') || 'none waiting'}`);
      if (started.length && !this.progressShown) this.showProgress();
      return started;
    } catch (e) {
      showError(e, this.log, 'download models');
      return [];
    }
  }

  /** The progress notification's Cancel. */
  async cancel(): Promise<string[]> {
    const { cancelled } = await this.daemon.request('pool/cancelDownload', {});
    this.events.push('cancelled');
    return cancelled;
  }

  private showProgress(): void {
    this.progressShown = true;
    void vscode.window
      .withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Ensemble: downloading models', cancellable: true },
        (progress, token) =>
          new Promise<void>((resolve) => {
            let first: { at: number; bytes: number } | undefined;
            let shown = 0;
            const update = (): void => {
              const s = downloadSummary(this.daemon.poolStatus);
              if (!s.running.length) {
                sub.dispose();
                this.events.push('done');
                resolve();
                return;
              }
              const now = Date.now();
              first ??= { at: now, bytes: s.receivedBytes };
              const speed = now > first.at ? ((s.receivedBytes - first.bytes) * 1000) / (now - first.at) : null;
              const message = downloadProgressText(s, speed);
              this.events.push(`progress: ${message}`);
              const percent = s.percent ?? 0;
              progress.report({ message, increment: Math.max(0, percent - shown) });
              shown = Math.max(shown, percent);
            };
            const sub = this.daemon.onDidChangePool(update);
            token.onCancellationRequested(() => void this.cancel().catch((e: unknown) => showError(e, this.log, 'cancel download')));
            update();
          }),
      )
      .then(() => (this.progressShown = false));
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

/** `Ensemble: Start / Stop / Restart Daemon`. */
import * as vscode from 'vscode';
import type { EnsembleContext, Outcome } from '../context';
import { errorKind } from '../errorMessages';
import { showError } from '../notify';

type Action = 'start' | 'stop' | 'restart';

export async function daemonCommand(ctx: EnsembleContext, action: Action): Promise<Outcome<{ pid: number | null }>> {
  try {
    if (action === 'stop') {
      const stopped = await ctx.daemon.stop();
      void vscode.window.showInformationMessage(stopped ? 'Ensemble: the daemon stopped.' : 'Ensemble: no daemon was running.');
      return { ok: true, value: { pid: null } };
    }
    const conn = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Window,
        title: action === 'start' ? 'Starting the Ensemble daemon' : 'Restarting the Ensemble daemon',
      },
      () => (action === 'start' ? ctx.daemon.start() : ctx.daemon.restart()),
    );
    return { ok: true, value: { pid: conn.info.pid } };
  } catch (e) {
    showError(e, ctx.log, `${action} daemon`);
    return { ok: false, kind: errorKind(e), message: e instanceof Error ? e.message : String(e) };
  }
}

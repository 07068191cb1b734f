/**
 * `Ensemble: Open Config`: opens ENSEMBLE_HOME/config.json (creating a starter one), which gets
 * IntelliSense from the JSON Schema (contributes.jsonValidation). Saving it asks the daemon to
 * reload, so a mistake is reported at once (the daemon keeps its last good config meanwhile).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { homePaths } from '../../common/node/home';
import type { EnsembleContext, Outcome } from '../context';
import { errorKind } from '../errorMessages';
import { showError } from '../notify';
import { homeDir } from '../settings';
import { starterConfig } from '../starterConfig';
import { plainText } from '../plainText';

export async function openConfigCommand(ctx: EnsembleContext): Promise<Outcome<string>> {
  try {
    const file = homePaths(homeDir()).config;
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, `${JSON.stringify(starterConfig, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
      ctx.log.info(`wrote a starter config to ${file}`);
    }
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc, { preview: false });
    return { ok: true, value: file };
  } catch (e) {
    showError(e, ctx.log, 'open config');
    return { ok: false, kind: errorKind(e), message: e instanceof Error ? e.message : String(e) };
  }
}

/** Ask the daemon to reload when the user saves its config file. */
export function reloadOnSave(ctx: EnsembleContext): vscode.Disposable {
  return vscode.workspace.onDidSaveTextDocument(async (doc) => {
    if (doc.uri.scheme !== 'file' || path.resolve(doc.uri.fsPath) !== path.resolve(homePaths(homeDir()).config)) return;
    if (ctx.daemon.connectionState !== 'connected') return;
    try {
      const r = await ctx.daemon.request('config/reload', {});
      if (r.ok) void vscode.window.setStatusBarMessage('$(check) Ensemble: config reloaded', 5_000);
      else
        void vscode.window.showErrorMessage(
          `The Ensemble config is invalid (the daemon keeps the last good one): ${plainText(r.error ?? 'unknown error')}`,
        );
    } catch (e) {
      showError(e, ctx.log, 'config reload');
    }
  });
}

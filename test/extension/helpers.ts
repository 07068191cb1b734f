/** Shared by the extension-host suites: the extension's API, the daemon the runner started, waiting. */
import * as vscode from 'vscode';
import { DaemonConnection, readDaemonFile } from '../../client/daemonClient';
import { ensembleHome } from '../../common/node/home';
import type { EnsembleApi } from '../../extension/extension';
import { until } from '../support/until';

export const EXTENSION_ID = 'ensemble-dev.ensemble';

export async function api(): Promise<EnsembleApi> {
  const ext = vscode.extensions.getExtension<EnsembleApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

export function packageJson(): Record<string, unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.packageJSON as Record<string, unknown>;
}

/**
 * Waits until `fn` gives a truthy value, through the suite's one poller (`until`): a thrown error
 * counts as "not yet" and is named if the wait times out.
 */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  let last: unknown;
  const probe = async (): Promise<T | undefined> => {
    try {
      const v = await fn();
      return v ? v : undefined;
    } catch (e) {
      last = e;
      return undefined;
    }
  };
  return until(what, probe, timeoutMs).catch((e: unknown) => {
    throw new Error(`${e instanceof Error ? e.message : String(e)}${last ? ` (last error: ${String(last)})` : ''}`);
  });
}

/** Our own connection to the daemon, to check what the extension shows against the source. */
export async function daemonConnection(): Promise<DaemonConnection> {
  const info = await waitFor('daemon.json', () => readDaemonFile(ensembleHome()) ?? undefined);
  return DaemonConnection.connect(info, { clientName: 'extension-tests', clientVersion: '0' });
}

/**
 * Opens `content` in a new editor and selects a range, then waits until the extension host sees
 * that editor as the active one with that selection: a command run right after reads
 * `activeTextEditor`, which under load could still be the previous test's (reverted, emptied) editor.
 */
export async function openWithSelection(content: string, select: (doc: vscode.TextDocument) => vscode.Range): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ content, language: 'plaintext' });
  const editor = await vscode.window.showTextDocument(doc);
  const r = select(doc);
  editor.selection = new vscode.Selection(r.start, r.end);
  await waitFor('the new editor to be active with its selection', () => {
    const active = vscode.window.activeTextEditor;
    return active?.document === doc && active.selection.isEqual(r);
  });
  return editor;
}

/** Closes every editor without "save?" prompts (the test documents are dirty untitled ones). */
export async function closeAll(): Promise<void> {
  for (let i = 0; i < 30 && vscode.window.activeTextEditor; i++) {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  const untitledOpen = () => vscode.window.visibleTextEditors.some((e) => e.document.uri.scheme === 'untitled');
  await waitFor('the test documents to be closed', () => !untitledOpen());
}

export async function lensTitles(uri: vscode.Uri): Promise<Array<{ line: number; title: string; args: unknown[] }>> {
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
  return (lenses ?? [])
    .filter((l) => l.command?.command === 'ensemble.openInspector')
    .map((l) => ({ line: l.range.start.line, title: l.command!.title, args: l.command!.arguments ?? [] }));
}

/**
 * `Ensemble: Refine Selection`: sequential refinement (one member drafts, the next edit). The
 * result opens as a diff against the selection; accepting replaces the selection, provided the
 * text there is still what was refined.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { RefineResult } from '../../protocol/ensemble';
import type { EnsembleContext, Outcome } from '../context';
import { UserFacingError, errorKind } from '../errorMessages';
import { showError } from '../notify';
import { currentTarget } from '../selection';
import { classifySettings, refineInstruction } from '../settings';
import { plainText } from '../plainText';

export interface RefineArgs {
  instruction?: string;
  /** Programmatic callers decide without the prompt: true accepts, false discards. */
  accept?: boolean;
}

export interface RefineOutcome {
  result: RefineResult;
  accepted: boolean;
}

export async function refineCommand(ctx: EnsembleContext, args?: RefineArgs): Promise<Outcome<RefineOutcome>> {
  try {
    const target = currentTarget('refine');
    const ensemble = classifySettings(target.document.uri).ensemble;
    const instruction = args?.instruction ?? refineInstruction(target.document.uri);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Ensemble: refining', cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        const chain = ctx.tasks.trackRefine(target.text);
        if (ctx.inspector.isOpen) ctx.inspector.show();
        try {
          const refined = await ctx.daemon.request(
            'ensemble/refine',
            { text: target.text, instruction, ensemble },
            {
              signal: abort.signal,
              onProgress: (v) => {
                chain.onProgress(v);
                if (v.kind === 'refineStep') {
                  progress.report({
                    message: `${v.done}/${v.total}: ${v.step.role} by ${v.step.model} (${v.step.status})`,
                    increment: 100 / Math.max(1, v.total),
                  });
                } else if (v.kind === 'message') progress.report({ message: plainText(v.message) });
              },
            },
          );
          chain.finish(refined);
          return refined;
        } finally {
          sub.dispose();
        }
      },
    );
    ctx.log.info(`refined ${target.text.length} chars in ${result.steps.length} steps (${result.id}, ${result.elapsedMs} ms)`);
    if (result.text === target.text) {
      void vscode.window.showInformationMessage('Ensemble: the models suggest no change to the selection.');
      return { ok: true, value: { result, accepted: false } };
    }
    const ext = path.extname(target.document.fileName) || '.txt';
    const left = ctx.refineDocs.put(result.id, 'original', target.text, ext);
    const right = ctx.refineDocs.put(result.id, 'refined', result.text, ext);
    const models = result.steps
      .filter((s) => s.status === 'ok')
      .map((s) => s.model)
      .join(' → ');
    await vscode.commands.executeCommand('vscode.diff', left, right, `Ensemble Refine: selection ↔ ${models || 'ensemble'}`, {
      preview: true,
      viewColumn: vscode.ViewColumn.Beside,
    });
    const accepted =
      args?.accept ??
      (await vscode.window.showInformationMessage(
        `Replace the selection with the refined text?${result.partial ? ' (Some steps failed; this is the last good draft.)' : ''}`,
        'Accept',
        'Discard',
      )) === 'Accept';
    await closeDiff(right);
    if (accepted) await apply(target.document, target.range, target.text, result.text);
    return { ok: true, value: { result, accepted } };
  } catch (e) {
    showError(e, ctx.log, 'refine');
    return { ok: false, kind: errorKind(e), message: e instanceof Error ? e.message : String(e) };
  }
}

async function apply(document: vscode.TextDocument, range: vscode.Range, original: string, text: string): Promise<void> {
  if (document.getText(range) !== original) {
    throw new UserFacingError('NoSelection', 'The selected text changed while it was being refined; nothing was replaced.');
  }
  const edit = new vscode.WorkspaceEdit();
  edit.replace(document.uri, range, text);
  if (!(await vscode.workspace.applyEdit(edit)))
    throw new UserFacingError('NoSelection', 'The editor refused the edit; nothing was replaced.');
}

async function closeDiff(modified: vscode.Uri): Promise<void> {
  const tabs = vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === modified.toString());
  if (tabs.length) await vscode.window.tabGroups.close(tabs);
}

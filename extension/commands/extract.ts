/**
 * `Ensemble: Extract Entities`: the selection (or the whole document when nothing is selected) goes
 * to the ensemble; the spans a quorum of members agreed on are highlighted in place (type and
 * agreement on hover) and listed in the inspector.
 */
import * as vscode from 'vscode';
import type { ExtractionResult } from '../../protocol/tasks';
import type { EnsembleContext, Outcome } from '../context';
import { preview } from '../decisionStore';
import { UserFacingError, errorKind } from '../errorMessages';
import { showError } from '../notify';
import { classifySettings, extractSettings } from '../settings';
import { plainText } from '../plainText';

export interface ExtractArgs {
  types?: string[];
  quorum?: number;
}

export async function extractCommand(ctx: EnsembleContext, args?: ExtractArgs): Promise<Outcome<ExtractionResult>> {
  try {
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new UserFacingError('NoSelection', 'Open a file (and select the text) to extract entities from.');
    const document = editor.document;
    const range = editor.selection.isEmpty
      ? new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length))
      : editor.selection;
    const text = document.getText(range);
    if (!text.trim()) throw new UserFacingError('NoSelection', 'There is no text to extract entities from.');
    const s = extractSettings(document.uri);
    const types = args?.types ?? s.types;
    const ensemble = classifySettings(document.uri).ensemble;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Ensemble: extracting ${types.join(', ')}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          return await ctx.daemon.request(
            'ensemble/extract',
            { text, types, ensemble, quorum: args?.quorum ?? s.quorum },
            {
              signal: abort.signal,
              onProgress: (v) => {
                if (v.kind === 'extractionVote') {
                  progress.report({
                    message: plainText(`${v.done}/${v.total}: ${v.vote.member} found ${v.vote.spans.length}`),
                    increment: 100 / Math.max(1, v.total),
                  });
                }
              },
            },
          );
        } finally {
          sub.dispose();
        }
      },
    );
    ctx.entities.show(document, result, document.offsetAt(range.start));
    ctx.tasks.put({ kind: 'extraction', id: result.id, textPreview: preview(text), result });
    ctx.log.info(
      `extracted ${result.spans.length} entities (${result.rejected.length} below the quorum) in ${result.elapsedMs} ms (${result.id})`,
    );
    void vscode.window
      .showInformationMessage(
        `Ensemble: ${result.spans.length} entities highlighted${result.truncated ? ' (the list was cut to fit: not every entity is shown)' : ''}. ` +
          plainText(result.note),
        'Open Inspector',
      )
      .then((picked) => {
        if (picked) ctx.inspector.show(result.id);
      });
    return { ok: true, value: result };
  } catch (e) {
    showError(e, ctx.log, 'extract');
    return { ok: false, kind: errorKind(e), message: e instanceof Error ? e.message : String(e) };
  }
}

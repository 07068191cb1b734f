/**
 * Extracted entities highlighted in place: one decoration type per color (theme chart colors, a
 * border and the word-highlight background), the type, agreement and members on hover. Kept per
 * document; re-applied when an editor for it becomes visible; cleared with the other results.
 */
import * as vscode from 'vscode';
import type { ExtractionResult } from '../protocol/tasks';
import { ENTITY_COLORS, entityRanges, type EntityRange } from './entityRanges';

export class EntityHighlights implements vscode.Disposable {
  private readonly types = ENTITY_COLORS.map((color) =>
    vscode.window.createTextEditorDecorationType({
      backgroundColor: new vscode.ThemeColor('editor.wordHighlightBackground'),
      border: '1px solid',
      borderColor: new vscode.ThemeColor(color),
      borderRadius: '3px',
      overviewRulerColor: new vscode.ThemeColor(color),
      overviewRulerLane: vscode.OverviewRulerLane.Center,
    }),
  );
  private readonly byDocument = new Map<string, EntityRange[]>();
  private readonly subscription = vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.paint(e)));

  /** Highlights `result`'s kept spans; `baseOffset` is where the extracted text starts in the document. */
  show(document: vscode.TextDocument, result: ExtractionResult, baseOffset: number): EntityRange[] {
    const ranges = entityRanges(result, baseOffset);
    const key = document.uri.toString();
    // Spans from an earlier extraction over another part of the document stay.
    const kept = (this.byDocument.get(key) ?? []).filter((r) => !ranges.some((n) => n.start < r.end && r.start < n.end));
    this.byDocument.set(key, [...kept, ...ranges]);
    for (const e of vscode.window.visibleTextEditors) if (e.document.uri.toString() === key) this.paint(e);
    return ranges;
  }

  ranges(uri: vscode.Uri): EntityRange[] {
    return [...(this.byDocument.get(uri.toString()) ?? [])];
  }

  clear(uri?: vscode.Uri): void {
    if (uri) this.byDocument.delete(uri.toString());
    else this.byDocument.clear();
    for (const e of vscode.window.visibleTextEditors) this.paint(e);
  }

  private paint(editor: vscode.TextEditor): void {
    const ranges = this.byDocument.get(editor.document.uri.toString()) ?? [];
    this.types.forEach((type, color) => {
      const options = ranges
        .filter((r) => r.color === color)
        .map((r): vscode.DecorationOptions => ({
          range: new vscode.Range(editor.document.positionAt(r.start), editor.document.positionAt(r.end)),
          hoverMessage: new vscode.MarkdownString(r.hover),
        }));
      editor.setDecorations(type, options);
    });
  }

  dispose(): void {
    this.subscription.dispose();
    for (const t of this.types) t.dispose();
  }
}

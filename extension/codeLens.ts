/**
 * Code lenses over classified text: `bug · 0.91 · 3/3 agree` above the range, opening the
 * inspector on that decision. Ranges follow edits around them and the lens clears when the
 * classified text itself is edited or its document closes.
 */
import * as vscode from 'vscode';
import type { Decision } from '../protocol/ensemble';
import { lensTitle } from './lensTitle';
import { trackSpan, type Span } from './rangeTracking';

export interface TrackedResult {
  range: vscode.Range;
  decisionId: string;
  title: string;
}

export class ClassificationLenses implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly byDoc = new Map<string, TrackedResult[]>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor() {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (this.byDoc.delete(d.uri.toString())) this.changed.fire();
      }),
      vscode.languages.registerCodeLensProvider([{ scheme: 'file' }, { scheme: 'untitled' }], this),
    );
  }

  /** Show `decision` above `range` (replacing any result for an overlapping range). */
  add(uri: vscode.Uri, range: vscode.Range, decision: Decision): TrackedResult {
    const key = uri.toString();
    const result: TrackedResult = { range, decisionId: decision.id, title: lensTitle(decision) };
    const others = (this.byDoc.get(key) ?? []).filter((r) => !r.range.intersection(range));
    this.byDoc.set(key, [...others, result]);
    this.changed.fire();
    return result;
  }

  results(uri: vscode.Uri): TrackedResult[] {
    return [...(this.byDoc.get(uri.toString()) ?? [])];
  }

  clear(uri?: vscode.Uri): void {
    if (uri) this.byDoc.delete(uri.toString());
    else this.byDoc.clear();
    this.changed.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    return (this.byDoc.get(document.uri.toString()) ?? []).map(
      (r) =>
        new vscode.CodeLens(new vscode.Range(r.range.start, r.range.start), {
          title: r.title,
          tooltip: "Ensemble decision: click to see every model's vote",
          command: 'ensemble.openInspector',
          arguments: [r.decisionId],
        }),
    );
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const key = e.document.uri.toString();
    const list = this.byDoc.get(key);
    if (!list || e.contentChanges.length === 0) return;
    const changes = e.contentChanges.map((c) => ({ range: toSpan(c.range), text: c.text.replace(/\r\n/g, '\n') }));
    const next: TrackedResult[] = [];
    for (const r of list) {
      const s = trackSpan(toSpan(r.range), changes);
      if (s) next.push({ ...r, range: new vscode.Range(s.start.line, s.start.character, s.end.line, s.end.character) });
    }
    if (next.length) this.byDoc.set(key, next);
    else this.byDoc.delete(key);
    this.changed.fire();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.byDoc.clear();
  }
}

function toSpan(r: vscode.Range): Span {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}

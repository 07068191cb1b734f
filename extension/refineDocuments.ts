/** Read-only virtual documents (`ensemble-refine:`) holding the two sides of a refinement diff. */
import * as vscode from 'vscode';

export const REFINE_SCHEME = 'ensemble-refine';
const MAX_KEPT = 40;

export class RefineDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(REFINE_SCHEME, this);

  /** A virtual document with `text`, named so the diff title reads well. */
  put(id: string, side: 'original' | 'refined', text: string, languageExt: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: REFINE_SCHEME, path: `/${id}/${side}${languageExt}` });
    this.contents.set(uri.toString(), text);
    while (this.contents.size > MAX_KEPT) this.contents.delete(this.contents.keys().next().value as string);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  dispose(): void {
    this.registration.dispose();
    this.contents.clear();
  }
}

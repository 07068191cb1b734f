/** The text a command works on: the selection, or the cursor's line when nothing is selected. */
import * as vscode from 'vscode';
import { UserFacingError } from './errorMessages';

export interface Target {
  editor: vscode.TextEditor;
  document: vscode.TextDocument;
  range: vscode.Range;
  text: string;
}

export function currentTarget(verb: string): Target {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new UserFacingError('NoSelection', `Open a file and select the text to ${verb}.`);
  const document = editor.document;
  let range: vscode.Range = editor.selection;
  if (range.isEmpty) {
    // validatePosition: an editor whose document was just emptied (reverted) may still report its old cursor.
    const line = document.lineAt(document.validatePosition(editor.selection.active).line);
    range = new vscode.Range(line.lineNumber, line.firstNonWhitespaceCharacterIndex, line.lineNumber, line.text.trimEnd().length);
  }
  const text = document.getText(range);
  if (text.trim() === '') throw new UserFacingError('NoSelection', `Select the text to ${verb} (the selection is empty).`);
  return { editor, document, range, text };
}

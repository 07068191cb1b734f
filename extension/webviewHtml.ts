/**
 * The inspector's HTML shell: a strict Content-Security-Policy (nothing inline; the one script
 * carries a fresh nonce; styles and fonts only from the extension's own files), the codicon font,
 * the theme-aware stylesheet and the bundled webview script. All content is added by the script.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import * as vscode from 'vscode';

/** Folders the webview may load from (its `localResourceRoots`). */
export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'webview'), codiconsDir(extensionUri)];
}

/** The codicon font and CSS: copied to dist/codicons by the build when it does, else from node_modules. */
function codiconsDir(extensionUri: vscode.Uri): vscode.Uri {
  const copied = vscode.Uri.joinPath(extensionUri, 'dist', 'codicons');
  if (extensionUri.scheme === 'file' && fs.existsSync(vscode.Uri.joinPath(copied, 'codicon.css').fsPath)) return copied;
  return vscode.Uri.joinPath(extensionUri, 'node_modules', '@vscode', 'codicons', 'dist');
}

export function inspectorHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const uri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  const codicons = webview.asWebviewUri(vscode.Uri.joinPath(codiconsDir(extensionUri), 'codicon.css')).toString();
  const csp = ["default-src 'none'", `style-src ${webview.cspSource}`, `font-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join(
    '; ',
  );
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${codicons}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${uri('webview', 'inspector.css')}">
<title>Ensemble Inspector</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script nonce="${nonce}" src="${uri('dist', 'webview.js')}"></script>
</body>
</html>`;
}

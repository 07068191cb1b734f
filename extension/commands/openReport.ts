/**
 * `Ensemble: Open Evaluation Report`: shows the page `ensemble eval --html` wrote in a webview.
 * The page is self-contained (inline styles and SVG, no scripts); it is shown with scripts
 * disabled under a CSP that allows nothing else, so even a tampered file cannot run code.
 */
import fs from 'node:fs';
import * as vscode from 'vscode';
import type { EnsembleContext, Outcome } from '../context';
import { plainText } from '../plainText';

const CSP = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;">`;

export function withReportCsp(html: string): string {
  // Any CSP the file carries is kept too: a page with two policies must satisfy both.
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (m) => `${m}${CSP}`) : `${CSP}${html}`;
}

export async function openReportCommand(ctx: EnsembleContext, file?: string): Promise<Outcome<string>> {
  let target = typeof file === 'string' ? file : undefined;
  if (!target) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { 'Evaluation report': ['html'] },
      openLabel: 'Open Report',
    });
    if (!picked?.[0]) return { ok: false, kind: 'RequestCancelled', message: 'no report chosen' };
    target = picked[0].fsPath;
  }
  let html: string;
  try {
    html = fs.readFileSync(target, 'utf8');
  } catch (e) {
    const message = `cannot read ${target}: ${(e as Error).message}`;
    void vscode.window.showErrorMessage(`Ensemble: ${plainText(message)}`);
    return { ok: false, kind: 'BadInput', message };
  }
  const panel = vscode.window.createWebviewPanel(
    'ensemble.report',
    `Ensemble Report: ${target.split(/[\\/]/).pop()}`,
    vscode.ViewColumn.Active,
    {
      enableScripts: false,
      localResourceRoots: [],
    },
  );
  panel.webview.html = withReportCsp(html);
  ctx.log.info(`opened evaluation report ${target}`);
  return { ok: true, value: target };
}

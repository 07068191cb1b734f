/**
 * `Ensemble: Compare Models` and `Ensemble: Fuse Answers`: the selection (or a typed prompt) sent
 * to every member at once; compare shows the answers side by side in the inspector, fuse has the
 * ensemble's judge (`ensemble.judge`, default the first member) merge them, offering to insert the
 * result. Each member's answer is reported as it arrives.
 */
import * as vscode from 'vscode';
import type { GenerationResult } from '../../protocol/generation';
import type { EnsembleContext, Outcome } from '../context';
import { errorKind } from '../errorMessages';
import { showError } from '../notify';
import { classifySettings } from '../settings';

export interface GenerateArgs {
  prompt?: string;
  judge?: string;
}

const TITLES = { compare: 'Ensemble: Compare Models', fusion: 'Ensemble: Fuse Answers' } as const;

export async function generateCommand(
  ctx: EnsembleContext,
  strategy: 'compare' | 'fusion',
  args?: GenerateArgs,
): Promise<Outcome<GenerationResult | null>> {
  try {
    const editor = vscode.window.activeTextEditor;
    const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection).trim() : '';
    const prompt =
      args?.prompt ??
      (selected ||
        (await vscode.window.showInputBox({
          title: TITLES[strategy],
          prompt: 'The prompt every model answers',
          validateInput: (v) => (v.trim() ? undefined : 'Type a prompt'),
        })));
    if (!prompt?.trim()) return { ok: true, value: null };
    const ensemble = classifySettings(editor?.document.uri).ensemble;
    const judge = args?.judge ?? (vscode.workspace.getConfiguration('ensemble').get<string>('judge')?.trim() || undefined);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: TITLES[strategy], cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        let judged = '';
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          return await ctx.daemon.request(
            'ensemble/generate',
            { prompt: prompt.trim(), strategy, ensemble, ...(strategy === 'fusion' && judge ? { judge } : {}) },
            {
              signal: abort.signal,
              onProgress: (v) => {
                if (v.kind === 'panelAnswer')
                  progress.report({
                    message: `${v.done}/${v.total}: ${v.answer.member} ${v.answer.status}`,
                    increment: 100 / Math.max(1, v.total),
                  });
                if (v.kind === 'judgeToken') {
                  // The judge's text as it streams: its end, as much as a notification line shows.
                  judged += v.text;
                  progress.report({ message: `judge: …${judged.replace(/\s+/g, ' ').slice(-80)}` });
                }
              },
            },
          );
        } finally {
          sub.dispose();
        }
      },
    );
    ctx.tasks.put({ kind: 'generation', id: result.id, result });
    ctx.inspector.show(result.id);
    const canInsert = strategy === 'fusion' && result.text && editor && !editor.document.isClosed && !editor.document.isUntitled;
    const answered = result.panel.filter((a) => a.status === 'ok').length;
    const missing = result.missing.length > 0 ? `; missing ${result.missing.join(', ')}` : '';
    void vscode.window
      .showInformationMessage(
        `${TITLES[strategy]}: ${answered}/${result.panel.length} members answered${missing}`,
        ...(canInsert ? ['Insert'] : []),
      )
      .then(async (picked) => {
        if (picked === 'Insert' && editor) await editor.edit((e) => e.insert(editor.selection.end, result.text));
      });
    return { ok: true, value: result };
  } catch (e) {
    showError(e, ctx.log, strategy);
    return { ok: false, kind: errorKind(e), message: e instanceof Error ? e.message : String(e) };
  }
}

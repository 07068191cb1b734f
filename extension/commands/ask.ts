/**
 * `Ensemble: Ask`: a factual question (the selection, or typed) answered by vote. The agreed answer
 * (or "no agreement") is shown with its agreement, can be inserted at the cursor, and is listed in
 * the inspector with every member's answer.
 */
import * as vscode from 'vscode';
import type { AnswerResult } from '../../protocol/tasks';
import type { EnsembleContext, Outcome } from '../context';
import { errorKind } from '../errorMessages';
import { showError } from '../notify';
import { classifySettings } from '../settings';
import { plainText } from '../plainText';

export interface AskArgs {
  question?: string;
  options?: string[];
}

export async function askCommand(ctx: EnsembleContext, args?: AskArgs): Promise<Outcome<AnswerResult | null>> {
  try {
    const editor = vscode.window.activeTextEditor;
    const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection).trim() : '';
    const question =
      args?.question ??
      (await vscode.window.showInputBox({
        title: 'Ensemble: Ask',
        prompt: 'A factual question; the models answer it and vote',
        value: selected.slice(0, 2_000),
        validateInput: (v) => (v.trim() ? undefined : 'Type a question'),
      }));
    if (!question?.trim()) return { ok: true, value: null };
    const ensemble = classifySettings(editor?.document.uri).ensemble;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Ensemble: asking', cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          return await ctx.daemon.request(
            'ensemble/answer',
            { question: question.trim(), options: args?.options, ensemble },
            {
              signal: abort.signal,
              onProgress: (v) => {
                if (v.kind === 'answerVote')
                  progress.report({
                    message: plainText(`${v.done}/${v.total}: ${v.vote.member} says ${v.vote.answer ?? v.vote.status}`),
                    increment: 100 / Math.max(1, v.total),
                  });
              },
            },
          );
        } finally {
          sub.dispose();
        }
      },
    );
    ctx.tasks.put({ kind: 'answer', id: result.id, result });
    const answering = result.votes.filter((v) => v.status === 'ok' && v.normalized !== null).length;
    const agree = `${Math.round(result.agreement * answering)}/${answering} agree`;
    const buttons = result.answer !== null && editor && !editor.document.isClosed ? ['Insert', 'Open Inspector'] : ['Open Inspector'];
    // The answer and the note are the members' words: plain text, never links.
    const message = plainText(
      result.answer === null
        ? `Ensemble: no agreement (${agree}). ${result.note}`
        : `Ensemble: ${result.answer} (${agree}, confidence ${result.confidence.toFixed(2)})`,
    );
    void vscode.window.showInformationMessage(message, ...buttons).then(async (picked) => {
      if (picked === 'Open Inspector') ctx.inspector.show(result.id);
      if (picked === 'Insert' && editor && result.answer !== null) await editor.edit((e) => e.insert(editor.selection.end, result.answer!));
    });
    return { ok: true, value: result };
  } catch (e) {
    showError(e, ctx.log, 'ask');
    return { ok: false, kind: errorKind(e), message: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * `Ensemble: Classify`: the selection goes to the ensemble; the progress notification counts the
 * votes as they arrive ("2/3 votes: bug") and can cancel; the result becomes a code lens and an
 * inspector entry.
 */
import * as vscode from 'vscode';
import type { Decision } from '../../protocol/ensemble';
import type { ProgressValue } from '../../protocol/methods';
import type { EnsembleContext, Outcome } from '../context';
import { errorKind } from '../errorMessages';
import { preview } from '../decisionStore';
import { lensTitle } from '../lensTitle';
import { showError } from '../notify';
import { currentTarget } from '../selection';
import { classifySettings } from '../settings';
import { ensembleSummary, resolveLabels } from './labels';
import { plainText } from '../plainText';

/** Optional arguments for programmatic callers; people get the selection and the settings. */
export interface ClassifyArgs {
  labels?: string[];
  ensemble?: string;
}

export async function classifyCommand(ctx: EnsembleContext, args?: ClassifyArgs): Promise<Outcome<Decision>> {
  let decisionId: string | undefined;
  try {
    const target = currentTarget('classify');
    const s = classifySettings(target.document.uri);
    const ensemble = args?.ensemble ?? s.ensemble;
    await ctx.daemon.connection();
    const pool = ctx.daemon.poolStatus ?? (await ctx.daemon.refreshPool());
    const { labels, explicit } = await resolveLabels(args?.labels, { ...s, ensemble }, pool, ctx.extension.globalState);
    const members = ensembleSummary(pool, ensemble)?.members ?? [];
    const textPreview = preview(target.text);

    const decision = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Ensemble: classifying', cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        const onProgress = (v: ProgressValue) => {
          if (v.kind === 'vote') {
            decisionId = v.decisionId;
            ctx.store.addVote(v.decisionId, v.vote, v.done, v.total, { ensemble, labels, members, textPreview });
            const said = v.vote.status === 'ok' ? (v.vote.label ?? 'abstained') : v.vote.status;
            progress.report({ message: plainText(`${v.done}/${v.total} votes: ${said}`), increment: 100 / Math.max(1, v.total) });
          } else if (v.kind === 'message') {
            progress.report({ message: plainText(v.message) });
          }
        };
        try {
          return await ctx.daemon.request(
            'ensemble/classify',
            { text: target.text, labels: explicit ? labels : undefined, ensemble, strategy: s.strategy },
            { signal: abort.signal, onProgress },
          );
        } finally {
          sub.dispose();
        }
      },
    );
    ctx.store.addDecision(decision, { text: target.text, focus: true });
    ctx.lenses.add(target.document.uri, target.range, decision);
    vscode.window.setStatusBarMessage(`$(pulse) Ensemble: ${lensTitle(decision)}`, 8_000);
    ctx.log.info(`classified ${target.text.length} chars as ${decision.label} (${decision.id}, ${decision.elapsedMs} ms)`);
    return { ok: true, value: decision };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    ctx.store.failPending(decisionId, message);
    showError(e, ctx.log, 'classify');
    return { ok: false, kind: errorKind(e), message };
  }
}

/**
 * Which labels a classification chooses among: the `ensemble.labels` setting, else the ensemble's
 * own labels (from pool/status), else the user types them (remembered for next time).
 */
import * as vscode from 'vscode';
import type { PoolStatus } from '../../protocol/methods';
import { EnsembleError } from '../../protocol/errors';
import { UserFacingError } from '../errorMessages';
import type { ClassifySettings } from '../settings';

const LAST_LABELS_KEY = 'ensemble.lastLabels';

export interface ResolvedLabels {
  labels: string[];
  /** Send them with the request (false when they are the ensemble's own default). */
  explicit: boolean;
}

export function ensembleSummary(pool: PoolStatus | null, name: string | undefined) {
  if (!pool) return undefined;
  return pool.ensembles.find((e) => e.name === (name ?? pool.defaultEnsemble));
}

export function parseLabelList(input: string): string[] {
  return [
    ...new Set(
      input
        .split(/[,\n]/)
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
}

export async function resolveLabels(
  given: string[] | undefined,
  s: ClassifySettings,
  pool: PoolStatus | null,
  memento: vscode.Memento,
): Promise<ResolvedLabels> {
  if (given && given.length >= 2) return { labels: given, explicit: true };
  if (s.labels.length >= 2) return { labels: s.labels, explicit: true };
  const own = ensembleSummary(pool, s.ensemble)?.labels;
  if (own && own.length >= 2) return { labels: own, explicit: false };
  const last = memento.get<string[]>(LAST_LABELS_KEY) ?? [];
  const typed = await vscode.window.showInputBox({
    title: 'Ensemble: Classify',
    prompt: 'Labels to choose from, separated by commas (set "ensemble.labels" to skip this question)',
    placeHolder: 'bug, feature, question',
    value: last.join(', '),
    ignoreFocusOut: true,
    validateInput: (v) => (parseLabelList(v).length >= 2 ? undefined : 'Give at least two labels, separated by commas'),
  });
  if (typed === undefined) throw new EnsembleError('RequestCancelled', 'no labels given');
  const labels = parseLabelList(typed);
  if (labels.length < 2) throw new UserFacingError('NoLabels', 'A classification needs at least two labels.');
  await memento.update(LAST_LABELS_KEY, labels);
  return { labels, explicit: true };
}

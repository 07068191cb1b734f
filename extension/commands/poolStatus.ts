/** `Ensemble: Show Pool Status`: every model with its state, memory and weight, in a quick pick. */
import * as vscode from 'vscode';
import type { ModelStatus, PoolStatus } from '../../protocol/methods';
import type { EnsembleContext, Outcome } from '../context';
import { errorKind } from '../errorMessages';
import { showError } from '../notify';
import { formatSize } from '../../common/formatSize';

export function formatBytes(n: number | undefined): string {
  return n === undefined ? '?' : formatSize(n);
}

const stateIcon: Record<ModelStatus['state'], string> = {
  ready: '$(pass-filled)',
  idle: '$(circle-large-outline)',
  loading: '$(loading~spin)',
  unavailable: '$(warning)',
  error: '$(error)',
  downloading: '$(cloud-download)',
  busy: '$(sync~spin)',
  coolingDown: '$(watch)',
  failed: '$(error)',
};

type Item = vscode.QuickPickItem & { run?: () => unknown };

export function poolItems(pool: PoolStatus): Item[] {
  const items: Item[] = [{ label: 'Models', kind: vscode.QuickPickItemKind.Separator }];
  for (const m of pool.models) {
    items.push({
      label: `${stateIcon[m.state]} ${m.id}`,
      description: `${m.backend} · ${m.state} · ${formatBytes(m.memoryBytes)} · weight ${m.weight.toFixed(2)}`,
      detail: [m.reason, m.hint, m.location].filter(Boolean).join(' — '),
      run:
        m.state === 'unavailable' || m.state === 'error' || m.state === 'failed'
          ? () => vscode.commands.executeCommand('ensemble.openConfig')
          : undefined,
    });
  }
  items.push({ label: 'Ensembles', kind: vscode.QuickPickItemKind.Separator });
  for (const e of pool.ensembles) {
    items.push({
      label: `$(organization) ${e.name}${e.name === pool.defaultEnsemble ? ' (default)' : ''}`,
      description: `${e.strategy} · ${e.ready}/${e.members.length} members ready`,
      detail: [e.members.map((m) => m.member).join(', '), e.labels ? `labels: ${e.labels.join(', ')}` : ''].filter(Boolean).join(' — '),
    });
  }
  items.push({ label: 'Daemon', kind: vscode.QuickPickItemKind.Separator });
  if (pool.configError)
    items.push({
      label: '$(error) Config error',
      detail: pool.configError,
      run: () => vscode.commands.executeCommand('ensemble.openConfig'),
    });
  items.push(
    {
      label: `$(server-process) pid ${pool.pid} · ${pool.daemonVersion}`,
      description: `memory planned ${formatBytes(pool.memory.plannedBytes)} of ${formatBytes(pool.memory.freeBytes)} free`,
      detail: pool.home,
    },
    { label: '$(json) Open Config', run: () => vscode.commands.executeCommand('ensemble.openConfig') },
    { label: '$(pulse) Open Inspector', run: () => vscode.commands.executeCommand('ensemble.openInspector') },
  );
  return items;
}

export async function showPoolStatusCommand(ctx: EnsembleContext): Promise<Outcome<PoolStatus>> {
  try {
    await ctx.daemon.connection();
    const pool = await ctx.daemon.request('pool/status', {});
    void vscode.window
      .showQuickPick(poolItems(pool), {
        title: `Ensemble pool: ${pool.models.length} models`,
        matchOnDescription: true,
        matchOnDetail: true,
      })
      .then((picked) => picked?.run?.());
    return { ok: true, value: pool };
  } catch (e) {
    showError(e, ctx.log, 'pool status');
    return { ok: false, kind: errorKind(e), message: e instanceof Error ? e.message : String(e) };
  }
}

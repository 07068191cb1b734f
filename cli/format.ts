/** Terminal rendering of decisions and pool status: aligned columns, small bars. */
import type { Decision } from '../protocol/ensemble';
import type { PoolStatus } from '../protocol/methods';
import { formatSize } from '../common/formatSize';
import { loopDelayText } from '../common/loopDelayText';

export function bar(value: number, width = 10): string {
  const v = Math.max(0, Math.min(1, value));
  const full = Math.round(v * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatDecision(d: Decision): string {
  const voters = d.votes.filter((v) => v.status === 'ok' && v.label !== null).length;
  const agreeing = Math.round(d.agreement * voters);
  const head = `${d.label ?? '(no decision)'}  confidence ${d.confidence.toFixed(2)}  ${agreeing}/${voters} agree  ${d.strategy}  ${d.elapsedMs} ms`;
  const rows = [['member', 'vote', 'confidence', '', 'source', 'latency', 'status']];
  for (const v of d.votes) {
    rows.push([
      v.member,
      v.label ?? '-',
      v.confidence === null ? '-' : v.confidence.toFixed(2),
      v.confidence === null ? '' : bar(v.confidence),
      v.confidenceSource,
      `${v.latencyMs} ms`,
      v.status + (v.error ? `: ${v.error.message.split('\n')[0]}` : ''),
    ]);
  }
  const cost =
    d.calls !== undefined ? `${d.calls} call${d.calls === 1 ? '' : 's'} in ${d.rounds ?? 1} round${d.rounds === 1 ? '' : 's'}\n` : '';
  const route = d.route
    ? `router (asks more under ${d.route.threshold.toFixed(2)}): ${d.route.ranked.map((m) => `${d.route!.chosen.includes(m) ? '*' : ''}${m} ${(d.route!.scores[m] ?? 0).toFixed(2)}`).join('  ')}\n`
    : '';
  return `${head}\n${d.note ? `${d.note}\n` : ''}${cost}${route}\n${table(rows)}\ndecision ${d.id}`;
}

export function formatStatus(s: PoolStatus): string {
  const lines = [
    `daemon ${s.daemonVersion}  pid ${s.pid}  up ${Math.round(s.uptimeMs / 1000)} s  home ${s.home}`,
    `config ${s.configPath}`,
  ];
  if (s.configError) lines.push(`config error (running on the last good config):\n${s.configError}`);
  if (s.storage)
    lines.push(
      s.storage.kind === 'sqlite'
        ? `storage ${s.storage.path ?? 'sqlite'}${s.storage.driver ? ` (${s.storage.driver})` : ''}`
        : `storage: IN MEMORY ONLY, lost when the daemon stops (${s.storage.reason ?? 'no reason given'})`,
    );
  if (s.eventLoop) lines.push(loopDelayText(s.eventLoop));
  const mb = formatSize;
  const budget = s.memory.budgetBytes === undefined ? '' : ` of a ${mb(s.memory.budgetBytes)} budget`;
  const gpu = s.memory.gpuFreeBytes ? `, GPU ${mb(s.memory.gpuFreeBytes)} free` : '';
  lines.push(
    `memory: models ${mb(s.memory.plannedBytes)}${budget}, machine ${mb(s.memory.freeBytes)} free of ${mb(s.memory.totalBytes)}${gpu}`,
    '',
  );
  const rows = [
    [
      'model',
      'backend',
      'state',
      'placement',
      'runs on',
      'load',
      'p50/p95 ms',
      'weight',
      'accuracy',
      'decisive',
      'overruled',
      'requests',
      'where',
    ],
  ];
  for (const m of s.models) {
    const r = m.runtime;
    rows.push([
      m.id,
      m.backend,
      m.state,
      m.placement ?? '-',
      r
        ? `${r.gpu}${r.gpu === 'cpu' ? '' : ` ${r.layersOffloaded}${r.layers === undefined ? '' : `/${r.layers}`} layers, ${mb(r.vramBytes)} VRAM`}`
        : '-',
      m.load ? `${m.load.inFlight}/${m.load.maxConcurrency}${m.load.queued ? ` +${m.load.queued} queued` : ''}` : '-',
      m.latencyMs ? `${Math.round(m.latencyMs.p50)}/${Math.round(m.latencyMs.p95)}` : '-',
      m.weight.toFixed(2),
      m.recentAccuracy === null || m.recentAccuracy === undefined ? '-' : `${(100 * m.recentAccuracy).toFixed(0)}% of ${m.feedbackCount}`,
      String(m.decisive ?? 0),
      String(m.overruledRight ?? 0),
      `${m.requests}${m.failures ? ` (${m.failures} failed)` : ''}`,
      m.location,
    ]);
  }
  lines.push(table(rows));
  for (const m of s.models.filter((x) => x.reason && x.state !== 'ready' && x.state !== 'busy')) {
    lines.push(`  ${m.id}: ${m.reason}${m.hint ? `\n    -> ${m.hint}` : ''}`);
  }
  for (const m of s.models)
    if (m.laggard) lines.push(`  slow: ${m.laggard.message}${m.laggard.policy === 'flag' ? '' : ` [policy ${m.laggard.policy}]`}`);
  for (const [pid, ids] of sharedWorkers(s.models))
    lines.push(`  one worker (pid ${pid}) for ${ids.join(', ')}: their base is loaded once`);
  lines.push('');
  for (const e of s.ensembles) {
    lines.push(
      `ensemble ${e.name}${e.name === s.defaultEnsemble ? ' (default)' : ''}: ${e.strategy}, ${e.ready}/${e.members.length} members ready: ${e.members.map((m) => m.member).join(', ')}${e.labels ? `; labels ${e.labels.join(', ')}` : ''}`,
    );
  }
  if (s.diversity) {
    lines.push('', `diversity of ${s.diversity.ensemble} (${s.diversity.items} decisions, ${s.diversity.withGold} with feedback):`);
    for (const h of s.diversity.hints) lines.push(`  - ${h}`);
  }
  return lines.join('\n');
}

/** Worker processes hosting two or more models (LoRA adapter members over one base), by pid. */
export function sharedWorkers(models: readonly { id: string; workerPid?: number }[]): Map<number, string[]> {
  const byPid = new Map<number, string[]>();
  for (const m of models) if (m.workerPid !== undefined) byPid.set(m.workerPid, [...(byPid.get(m.workerPid) ?? []), m.id]);
  return new Map([...byPid].filter(([, ids]) => ids.length > 1));
}

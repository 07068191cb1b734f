/** `ensemble plan`: where the pool in config.json would go (GPUs, RAM), without loading anything. */
import { createBackend } from '../../daemon/createBackend';
import type { Command } from 'commander';
import os from 'node:os';
import path from 'node:path';
import { describeSharing } from '../../daemon/pool/adapterMemory';
import { loadConfig } from '../../daemon/config/loadConfig';
import { detectGpus, parseGpus, parseSize, planPool, type PoolPlanReport } from '../../daemon/pool/poolPlan';
import { formatSize } from '../../common/formatSize';
import { homePaths } from '../../common/node/home';
import { CliError } from '../connect';
import { table } from '../format';

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description(
      "plan the pool's memory across the GPUs and RAM (detected, or given) without loading anything: per model weights, KV cache, compute; per device totals; what does not fit and what to change",
    )
    .option('--gpus <spec>', 'plan for these GPUs instead of the detected ones, e.g. 2x24GiB or 24GiB,16GiB')
    .option('--ram <size>', "plan for this much RAM instead of this machine's, e.g. 64GiB")
    .option(
      '--as-configured',
      'keep each model\'s gpuLayers as configured (by default models at 0 are planned as "auto" when there are GPUs)',
    )
    .option('--json', 'print the plan as JSON')
    .action(async (opts: { gpus?: string; ram?: string; asConfigured?: boolean; json?: boolean }) => {
      const loaded = loadConfig(homePaths());
      if (!loaded.ok) throw new CliError(loaded.error, 2);
      let gpus: Array<{ name: string; freeBytes: number }>;
      let ramBytes = os.totalmem();
      try {
        gpus = opts.gpus ? parseGpus(opts.gpus) : await detectGpus();
        if (opts.ram) {
          const m = /^(\d+(?:\.\d+)?)\s*(GiB|GB|MiB|MB|TiB|TB)?$/i.exec(opts.ram.trim());
          if (!m) throw new Error(`--ram: cannot read "${opts.ram}" (expected e.g. 64GiB)`);
          ramBytes = parseSize(Number(m[1]), m[2] ?? 'GiB');
        }
      } catch (e) {
        throw new CliError((e as Error).message, 2);
      }
      const gpuSource = opts.gpus ? 'given' : gpus.length ? 'detected' : 'none';
      const report = await planPool(loaded.value.config, { ramBytes, gpus, gpuSource }, createBackend, { asConfigured: opts.asConfigured });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatPlan(report)}\n`);
      if (!report.fits) process.exitCode = 1;
    });
}

export function formatPlan(r: PoolPlanReport): string {
  const sz = (n: number | undefined) => (n === undefined ? '-' : formatSize(n));
  const gpus = r.machine.gpus.length ? r.machine.gpus.map((g) => `${g.name} ${sz(g.freeBytes)}`).join(', ') : 'none';
  const lines = [
    `machine: RAM ${sz(r.machine.ramBytes)} (budget ${sz(r.machine.budgetBytes)}), GPUs: ${gpus}${r.machine.gpuSource === 'given' ? ' (given)' : ''}`,
    '',
  ];
  const rows = [['model', 'backend', 'weights', 'KV cache', 'compute', 'total', 'placement', 'RAM', 'VRAM']];
  for (const m of r.models) {
    const where = !m.local
      ? m.declaredBytes !== undefined
        ? `its server (${sz(m.declaredBytes)} declared)`
        : 'its server'
      : m.fits
        ? (m.placement ?? '-')
        : m.note
          ? 'unknown'
          : 'DOES NOT FIT';
    rows.push([
      m.id,
      m.backend,
      sz(m.weightsBytes),
      sz(m.kvCacheBytes),
      sz(m.computeBytes),
      sz(m.totalBytes),
      where,
      m.local ? sz(m.ramBytes) : '-',
      m.local ? sz(m.vramBytes) : '-',
    ]);
  }
  lines.push(table(rows), '', 'per device:');
  for (const d of r.devices) lines.push(`  ${d.name.padEnd(6)} ${sz(d.plannedBytes)} of ${sz(d.freeBytes)}`);
  lines.push(
    `  weights in all: ${sz(r.totals.weightsBytes)}${r.totals.declaredRemoteBytes ? `; servers declare ${sz(r.totals.declaredRemoteBytes)} more on their machines` : ''}`,
  );
  if (r.sharing.length) {
    // LoRA adapter members over one base run in one worker that loads the base once.
    lines.push('', 'shared bases (one worker each; the first member listed carries the weights):');
    for (const line of describeSharing(r.sharing, (p) => path.basename(p))) lines.push(`  ${line}`);
    lines.push(`  saved in all: ${sz(r.totals.sharedSavingsBytes)}`);
  }
  const problems = r.models.filter((m) => (m.local && !m.fits) || m.note);
  if (problems.length) {
    lines.push('', 'not placed:');
    for (const m of problems) lines.push(`  ${m.id}: ${m.note ?? m.reason ?? ''}${m.hint ? `\n    -> ${m.hint}` : ''}`);
  }
  if (r.models.some((m) => m.local && m.plannedGpuLayers === 'auto')) {
    lines.push('', 'models planned with gpuLayers "auto": set it in config.json for the daemon to offload so');
  }
  return lines.join('\n');
}

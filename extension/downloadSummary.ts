/**
 * What the pool's downloads amount to, for the status bar, the first-run prompt and the progress
 * notification: models waiting for approval, models downloading, bytes so far and in all (null
 * when a size is unknown), and the folder they go to. Pure: unit-tested without an editor.
 */
import path from 'node:path';
import { formatSize } from '../common/formatSize';
import type { ModelStatus, PoolStatus } from '../protocol/methods';

export interface DownloadSummary {
  waiting: ModelStatus[];
  running: ModelStatus[];
  /** Over the models counted (running, or waiting when none runs). */
  receivedBytes: number;
  totalBytes: number | null;
  percent: number | null;
  folder: string | undefined;
}

export function downloadSummary(pool: PoolStatus | null): DownloadSummary {
  const models = pool?.models ?? [];
  const waiting = models.filter((m) => m.download?.awaitingApproval);
  const running = models.filter((m) => m.download && !m.download.awaitingApproval);
  const counted = running.length ? running : waiting;
  const receivedBytes = counted.reduce((s, m) => s + (m.download?.receivedBytes ?? 0), 0);
  const totalBytes = counted.every((m) => m.download?.totalBytes != null)
    ? counted.reduce((s, m) => s + (m.download?.totalBytes ?? 0), 0)
    : null;
  const percent = totalBytes ? Math.min(100, Math.floor((100 * receivedBytes) / totalBytes)) : null;
  const first = counted[0]?.download?.path;
  return { waiting, running, receivedBytes, totalBytes, percent, folder: first ? path.dirname(first) : undefined };
}

/** Models that can answer now: loaded, busy or not. */
export function readyModels(pool: PoolStatus): number {
  return pool.models.filter((m) => m.state === 'ready' || m.state === 'busy').length;
}

/** The status bar's count: "1/3 models, 2 downloading 40%" (READY models only; downloads said apart). */
export function modelCountText(pool: PoolStatus): string {
  const s = downloadSummary(pool);
  const parts = [`${readyModels(pool)}/${pool.models.length} models`];
  if (s.running.length) parts.push(`${s.running.length} downloading${s.percent !== null ? ` ${s.percent}%` : ''}`);
  else if (s.waiting.length) parts.push(`${s.waiting.length} to download`);
  return parts.join(', ');
}

/** The first-run question: how much, where. */
export function downloadPromptText(s: DownloadSummary): string {
  const n = s.waiting.length;
  const size = s.totalBytes !== null ? formatSize(s.totalBytes - s.receivedBytes) : 'an unknown size';
  return `Ensemble needs to download ${n} model${n === 1 ? '' : 's'} (${size}) into ${s.folder ?? 'its models folder'} before it can answer.`;
}

/** One progress line: percent, bytes and speed. */
export function downloadProgressText(s: DownloadSummary, bytesPerSecond: number | null): string {
  const amount = `${formatSize(s.receivedBytes)}${s.totalBytes !== null ? ` of ${formatSize(s.totalBytes)}` : ''}`;
  const speed = bytesPerSecond !== null && bytesPerSecond > 0 ? `, ${formatSize(bytesPerSecond)}/s` : '';
  return `${s.percent !== null ? `${s.percent}% — ` : ''}${amount}${speed} (${s.running.map((m) => m.id).join(', ')})`;
}

/** The generations part of `ensemble eval`: recorded generations with a gold answer, scored per strategy and member. */
import type { StoredTask } from '../../daemon/store/store';
import type { GenerationRecord, GenerationReport } from '../../daemon/learning/tasks/generationEval';
import { alignedTable } from './eval';

export function generationRecords(tasks: readonly StoredTask[]): GenerationRecord[] {
  return tasks.flatMap((t) => (t.task === 'generate' ? [{ result: t.result, gold: t.gold }] : []));
}

export function formatGenerations(r: GenerationReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const rows = [...r.rows].sort((a, b) => b.similarity - a.similarity || a.name.localeCompare(b.name));
  return [
    `generations: ${r.withGold} items with a gold answer; exact = normalized match, similarity = token F1 (docs/generation.md)`,
    alignedTable(
      [
        ['answer of', 'items', 'exact', 'similarity', 'calls/item'],
        ...rows.map((x) => [x.name, String(x.items), pct(x.exact), pct(x.similarity), x.calls.toFixed(2)]),
      ],
      [1, 2, 3, 4],
    ),
  ].join('\n');
}

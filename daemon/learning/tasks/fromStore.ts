/**
 * Recorded answers and extractions (the store's task records) as evaluation items: one per dataset
 * item (a live request is its own item), the latest recording of an item replacing earlier ones.
 * Members not asked (early exit) are left out; a member that failed counts as answering nothing.
 */
import type { StoredTask } from '../../store/store';
import type { ExtractionItem } from './extractionEval';
import type { AnswerItem } from './taskReport';

function latestPerItem<T extends { id: string }>(items: T[]): T[] {
  const byId = new Map<string, T>();
  for (const it of items) {
    byId.delete(it.id);
    byId.set(it.id, it);
  }
  return [...byId.values()];
}

export function answerItems(stored: readonly StoredTask[]): AnswerItem[] {
  return latestPerItem(
    stored.flatMap((s) =>
      s.task !== 'answer'
        ? []
        : [
            {
              id: s.itemId ?? s.result.id,
              members: s.result.votes
                .filter((v) => v.status !== 'skipped')
                .map((v) => ({
                  member: v.member,
                  normalized: v.status === 'ok' ? v.normalized : null,
                  confidence: v.status === 'ok' ? v.confidence : null,
                })),
              gold: s.gold,
              agreed: s.result.answer !== null,
              quorum: s.result.quorum,
            },
          ],
    ),
  );
}

export function extractionItems(stored: readonly StoredTask[]): ExtractionItem[] {
  return latestPerItem(
    stored.flatMap((s) =>
      s.task !== 'extract'
        ? []
        : [
            {
              id: s.itemId ?? s.result.id,
              text: s.text,
              types: s.result.types,
              members: s.result.votes
                .filter((v) => v.status !== 'skipped')
                .map((v) => ({ member: v.member, spans: v.status === 'ok' ? v.spans : null })),
              gold: s.gold,
            },
          ],
    ),
  );
}

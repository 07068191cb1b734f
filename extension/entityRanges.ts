/**
 * Where the kept spans of an extraction go in the document, and how each is described (pure: no
 * `vscode`, unit-tested). Offsets are the span's place in the extracted text plus where that text
 * starts in the document.
 */
import type { ExtractionResult } from '../protocol/tasks';

/** Theme colors entity types cycle through (chart colors follow the user's theme). */
export const ENTITY_COLORS = ['charts.blue', 'charts.green', 'charts.orange', 'charts.purple', 'charts.red', 'charts.yellow'] as const;

export interface EntityRange {
  type: string;
  /** Document offsets. */
  start: number;
  end: number;
  /** Index into ENTITY_COLORS. */
  color: number;
  /** Markdown for the hover: type, agreement, members. */
  hover: string;
}

export function entityRanges(result: ExtractionResult, baseOffset: number): EntityRange[] {
  const answered = result.votes.filter((v) => v.status === 'ok').length;
  return result.spans.map((s) => ({
    type: s.type,
    start: baseOffset + s.start,
    end: baseOffset + s.end,
    color: Math.max(0, result.types.indexOf(s.type)) % ENTITY_COLORS.length,
    hover: `**${escapeMarkdown(s.type)}** · ${s.members.length}/${answered} members agree (${s.agreement.toFixed(2)}): ${s.members.map(escapeMarkdown).join(', ')}`,
  }));
}

/** Model and member names are shown as text, never as markdown (links, images...). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

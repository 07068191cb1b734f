/**
 * The members' answers side by side for `ensemble generate --strategy compare`: one column per
 * member (a header with its status, latency, tokens and finish reason, then its text wrapped to the
 * column), as wide as the terminal allows. Members past what fits at 20 characters a column wrap
 * onto a further row of columns.
 */
import type { PanelAnswer } from '../../protocol/generation';

const MIN_COLUMN = 20;
const GAP = ' | ';

export function panelColumns(panel: readonly PanelAnswer[], width: number): string {
  const perRow = Math.max(1, Math.min(panel.length, Math.floor((width + GAP.length) / (MIN_COLUMN + GAP.length))));
  const column = Math.max(MIN_COLUMN, Math.floor((width - GAP.length * (perRow - 1)) / perRow));
  const blocks: string[] = [];
  for (let i = 0; i < panel.length; i += perRow) blocks.push(row(panel.slice(i, i + perRow), column));
  return blocks.join('\n');
}

function row(answers: readonly PanelAnswer[], column: number): string {
  const cells = answers.map((a) => [
    a.member,
    `${a.status} ${a.latencyMs} ms ${a.tokens} tok ${a.finishReason ?? '-'}`,
    '-'.repeat(column),
    ...wrap(a.status === 'ok' ? a.text.trim() : (a.error?.message ?? a.status), column),
  ]);
  const height = Math.max(...cells.map((c) => c.length));
  const lines: string[] = [];
  for (let l = 0; l < height; l++)
    lines.push(
      cells
        .map((c) => fit(c[l] ?? '', column))
        .join(GAP)
        .trimEnd(),
    );
  return `${lines.join('\n')}\n`;
}

function fit(text: string, width: number): string {
  return text.length > width ? text.slice(0, width) : text.padEnd(width);
}

/** Greedy word wrap; a word longer than the column is cut into column-wide pieces. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      for (let w = word; w.length > 0; w = w.slice(width)) {
        const piece = w.slice(0, width);
        if (!line) line = piece;
        else if (line.length + 1 + piece.length <= width) line += ` ${piece}`;
        else {
          out.push(line);
          line = piece;
        }
      }
    }
    out.push(line);
  }
  return out;
}

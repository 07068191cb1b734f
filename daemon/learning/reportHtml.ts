/**
 * The evaluation report as one self-contained HTML page: no scripts, no external resources, inline
 * SVG plots (accuracy vs calls per item, error-correlation heatmap, reliability diagrams) and
 * tables. Colours come from VS Code theme variables with fallbacks, so the same page reads well in
 * a browser and inside a webview. Every piece of text from the data is escaped.
 */
import type { ReliabilityBin } from './calibration';
import type { EvalReport } from './evaluate';
import type { TasksReport } from './tasks/taskReport';

export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const pct = (x: number | null | undefined, d = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(d)}%`;
const num = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const signed = (x: number | null) => (x === null ? '–' : `${x >= 0 ? '+' : '−'}${(100 * Math.abs(x)).toFixed(1)} pt`);

const FG = 'var(--vscode-foreground, #222)';
const MUTED = 'var(--vscode-descriptionForeground, #666)';
const ACCENT = 'var(--vscode-charts-blue, #1f6feb)';
const ACCENT2 = 'var(--vscode-charts-orange, #d9822b)';
const GRID = 'var(--vscode-editorWidget-border, #ccc)';

const CSS = `
body { font-family: var(--vscode-font-family, system-ui, sans-serif); font-size: var(--vscode-font-size, 14px);
  color: ${FG}; background: var(--vscode-editor-background, #fff); margin: 1.5em; line-height: 1.4; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid ${GRID}; text-align: right; }
th:first-child, td:first-child, .text { text-align: left; }
th { font-weight: 600; }
.muted { color: ${MUTED}; }
.rec { border-left: 4px solid ${ACCENT}; padding: 0.5em 1em; background: var(--vscode-textBlockQuote-background, #f4f6fa); }
svg text { fill: ${FG}; font-size: 11px; }
.plots { display: flex; flex-wrap: wrap; gap: 1.5em; }
`;

function table(head: string[], rows: string[][], textCols: number[] = []): string {
  const th = head.map((h, i) => `<th${textCols.includes(i) ? ' class="text"' : ''}>${escapeHtml(h)}</th>`).join('');
  const tr = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${textCols.includes(i) ? ' class="text"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

/** Accuracy (y) against calls per item (x): strategies as dots, single members as squares. */
function scatter(r: EvalReport): string {
  const pts = [
    ...r.strategies.map((s) => ({ label: s.name, x: s.callsPerItem, y: s.accuracy, single: false })),
    ...r.perModel.map((m) => ({ label: m.model, x: 1, y: m.accuracy, single: true })),
  ];
  const W = 620;
  const H = 340;
  const L = 50;
  const B = 40;
  const maxX = Math.max(2, Math.ceil(Math.max(...pts.map((p) => p.x)) + 0.5));
  const ys = pts.map((p) => p.y);
  const minY = Math.max(0, Math.floor((Math.min(...ys) - 0.02) * 20) / 20);
  const maxY = Math.min(1, Math.ceil((Math.max(...ys) + 0.02) * 20) / 20);
  const sx = (x: number) => L + (x / maxX) * (W - L - 240);
  const sy = (y: number) => H - B - ((y - minY) / Math.max(1e-9, maxY - minY)) * (H - B - 15);
  let g = '';
  for (let x = 0; x <= maxX; x++)
    g += `<line x1="${sx(x)}" y1="${sy(minY)}" x2="${sx(x)}" y2="${sy(maxY)}" stroke="${GRID}"/><text x="${sx(x)}" y="${H - B + 15}" text-anchor="middle">${x}</text>`;
  for (let y = minY; y <= maxY + 1e-9; y += 0.05)
    g += `<line x1="${sx(0)}" y1="${sy(y)}" x2="${sx(maxX)}" y2="${sy(y)}" stroke="${GRID}"/><text x="${L - 6}" y="${sy(y) + 4}" text-anchor="end">${(100 * y).toFixed(0)}%</text>`;
  // Labels in a column right of the plot, in accuracy order, spread apart, with leader lines.
  const sorted = [...pts].sort((a, b) => b.y - a.y || a.x - b.x);
  const lx = sx(maxX) + 14;
  const ly: number[] = [];
  sorted.forEach((p, i) => ly.push(Math.max(sy(p.y) + 4, i > 0 ? ly[i - 1]! + 13 : -Infinity)));
  const overflow = (ly[ly.length - 1] ?? 0) - (H - B);
  if (overflow > 0) ly.forEach((_, i) => (ly[i] = Math.max(12 + 13 * i, ly[i]! - overflow)));
  sorted.forEach((p, i) => {
    const cx = sx(p.x);
    const cy = sy(p.y);
    g += `<line x1="${cx}" y1="${cy}" x2="${lx - 3}" y2="${ly[i]! - 4}" stroke="${GRID}" stroke-width="0.8"/>`;
    g += p.single
      ? `<rect x="${cx - 4}" y="${cy - 4}" width="8" height="8" fill="${ACCENT2}"><title>${escapeHtml(p.label)}: ${pct(p.y)}</title></rect>`
      : `<circle cx="${cx}" cy="${cy}" r="4.5" fill="${ACCENT}"><title>${escapeHtml(p.label)}: ${pct(p.y)} at ${num(p.x, 2)} calls</title></circle>`;
    g += `<text x="${lx}" y="${ly[i]}">${escapeHtml(p.label)} ${pct(p.y)}${p.single ? '' : ` · ${num(p.x, 2)}`}</text>`;
  });
  g += `<text x="${(L + W - 240) / 2}" y="${H - 5}" text-anchor="middle">calls per item</text>`;
  g += `<text transform="translate(12 ${(H - B) / 2}) rotate(-90)" text-anchor="middle">accuracy</text>`;
  return `<svg role="img" aria-label="accuracy against calls per item" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${g}</svg>`;
}

/** Error-correlation heatmap: blue for positive (shared errors), orange for negative. */
function heatmap(r: EvalReport): string {
  const M = r.models.length;
  const cell = Math.max(28, Math.min(60, Math.floor(420 / Math.max(1, M))));
  const left = 190;
  const top = 20;
  let g = '';
  r.diversity.errorCorrelation.forEach((row, i) => {
    g += `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${escapeHtml(r.models[i])}</text>`;
    row.forEach((v, j) => {
      const a = v === null ? 0 : Math.min(1, Math.abs(v));
      const fill = v === null ? GRID : v >= 0 ? ACCENT : ACCENT2;
      g += `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 2}" height="${cell - 2}" fill="${fill}" fill-opacity="${(0.1 + 0.9 * a).toFixed(2)}"><title>${escapeHtml(r.models[i])} × ${escapeHtml(r.models[j])}: ${num(v, 3)}</title></rect>`;
      if (cell >= 34)
        g += `<text x="${left + j * cell + cell / 2 - 1}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle">${num(v, 2)}</text>`;
    });
  });
  r.models.forEach((m, j) => {
    g += `<text transform="translate(${left + j * cell + cell / 2} ${top + M * cell + 8}) rotate(40)" text-anchor="start">${escapeHtml(m)}</text>`;
  });
  const W = left + M * cell + 170;
  const H = top + M * cell + 150;
  return `<svg role="img" aria-label="error correlation matrix" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${g}</svg>`;
}

/** Reliability diagram: accuracy per confidence bin, before (outline) and after (filled) calibration. */
function reliabilitySvg(title: string, before: ReliabilityBin[], after: ReliabilityBin[] | null): string {
  const S = 220;
  const P = 30;
  const x = (v: number) => P + v * (S - P - 10);
  const y = (v: number) => S - P - v * (S - P - 10);
  let g = `<rect x="${x(0)}" y="${y(1)}" width="${x(1) - x(0)}" height="${y(0) - y(1)}" fill="none" stroke="${GRID}"/>`;
  g += `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="${MUTED}" stroke-dasharray="4 3"/>`;
  const bars = (bins: ReliabilityBin[], style: string) =>
    bins
      .filter((b) => b.count > 0)
      .map(
        (b) =>
          `<rect x="${x(b.lo) + 1}" y="${y(b.accuracy!)}" width="${x(b.hi) - x(b.lo) - 2}" height="${y(0) - y(b.accuracy!)}" ${style}><title>(${num(b.lo, 2)}, ${num(b.hi, 2)}]: ${b.count} answers, confidence ${num(b.confidence, 3)}, accuracy ${num(b.accuracy, 3)}</title></rect>`,
      )
      .join('');
  if (after) g += bars(after, `fill="${ACCENT}" fill-opacity="0.55"`);
  g += bars(before, `fill="none" stroke="${ACCENT2}" stroke-width="1.5"`);
  g += `<text x="${x(0)}" y="${S - 8}">0</text><text x="${x(1)}" y="${S - 8}" text-anchor="end">confidence 1</text>`;
  g += `<text x="${x(0) - 4}" y="${y(1) + 8}" text-anchor="end">1</text><text x="${S / 2}" y="12" text-anchor="middle">${escapeHtml(title)}</text>`;
  return `<svg role="img" aria-label="reliability diagram ${escapeHtml(title)}" width="${S}" height="${S}" viewBox="0 0 ${S} ${S}">${g}</svg>`;
}

/** Per task, the verdict (does the ensemble beat its best member), then extraction's span scores. */
function tasksSection(t: TasksReport): string[] {
  const parts = ['<h2>When the ensemble helps, per task</h2>'];
  parts.push(
    '<p class="muted">Held-out items; gain of the ensemble\'s best strategy over its best single member, ± the paired standard error.</p>',
  );
  parts.push(
    table(
      ['task', 'verdict', 'best member', 'ensemble', 'gain', 'items', 'what to do'],
      t.verdicts.map((v) => [
        escapeHtml(v.task),
        v.helps ? '<strong>the ensemble helps</strong>' : 'it does not help',
        v.bestMember ? `${escapeHtml(v.bestMember.model)} ${pct(v.bestMember.score)}` : '–',
        v.ensemble ? `${escapeHtml(v.ensemble.strategy)} ${pct(v.ensemble.score)}` : '–',
        v.ensemble ? `${signed(v.gain)} ± ${(100 * v.standardError).toFixed(1)}` : '–',
        String(v.items),
        escapeHtml(v.text),
      ]),
      [0, 1, 2, 3, 6],
    ),
  );
  if (t.extraction) {
    const x = t.extraction;
    parts.push('<h2>Extraction: span scores</h2>');
    parts.push(
      `<p class="muted">${x.split.test} texts (${escapeHtml(x.split.evaluatedOn)}); precision, recall and F1 over all spans (micro), and F1 per text averaged (what the verdict compares).</p>`,
    );
    const row = (name: string, s: { precision: number; recall: number; f1: number; meanF1: number }) => [
      escapeHtml(name),
      pct(s.precision),
      pct(s.recall),
      pct(s.f1),
      pct(s.meanF1),
    ];
    parts.push(
      table(
        ['member / vote', 'precision', 'recall', 'F1', 'F1 per text'],
        [
          ...x.perMember.map((m) => row(m.name, m)),
          ...x.votes.map((v) => row(`span vote ${v.name}${v.name === x.chosen ? ' (chosen on train)' : ''}`, v)),
        ],
      ),
    );
  }
  return parts;
}

export function reportHtml(
  r: EvalReport | null,
  title = 'Ensemble evaluation',
  extra: { diversityHints?: readonly string[]; tasks?: TasksReport } = {},
): string {
  const tasks = extra.tasks;
  const parts: string[] = [];
  parts.push(`<h1>${escapeHtml(title)}</h1>`);
  if (tasks) parts.push(...tasksSection(tasks));
  if (r) parts.push(...(tasks ? ['<h2>Classification</h2>'] : []), ...classificationSection(r, extra.diversityHints ?? []));
  return page(title, parts);
}

function classificationSection(r: EvalReport, diversityHints: readonly string[]): string[] {
  const rec = r.recommendation;
  const parts: string[] = [];
  parts.push(
    `<p class="muted">${r.items} items${r.excluded ? ` (${r.excluded} excluded)` : ''}; ` +
      (r.split.evaluatedOn === 'held-out'
        ? `fitted on ${r.split.train}, evaluated on the ${r.split.test} held-out items (train fraction ${r.trainFraction}, seed ${r.seed}${r.stratified ? ', stratified by category' : ''})`
        : 'nothing fitted (train fraction 0): every item evaluated with the fixed strategies') +
      `; ${r.withGold} evaluated items have a gold label.</p>`,
  );
  parts.push(
    `<div class="rec"><strong>Recommendation: ${escapeHtml(rec.kind === 'single' ? 'a single model' : 'an ensemble')}.</strong> ${escapeHtml(rec.text)}</div>`,
  );
  parts.push('<h2>Members</h2>');
  parts.push(
    table(
      ['model', 'accuracy', 'abstained', 'items'],
      r.perModel.map((m) => [escapeHtml(m.model), pct(m.accuracy), pct(m.abstained), String(m.n)]),
    ),
  );
  parts.push('<h2>Strategies</h2>');
  parts.push(
    table(
      ['strategy', 'accuracy', 'calls / item', 'vs majority', 'how'],
      r.strategies.map((s) => [
        escapeHtml(s.name),
        pct(s.accuracy),
        num(s.callsPerItem, 2),
        signed(s.vsMajority),
        escapeHtml(s.description),
      ]),
      [4],
    ),
  );
  parts.push(`<div class="plots">${scatter(r)}</div>`);
  parts.push('<h2>How the members err together</h2>');
  parts.push(
    '<p class="muted">Error correlation: phi coefficient of the per-item error indicators (wrong or abstained). Lower means more complementary members.</p>',
  );
  parts.push(`<div class="plots">${heatmap(r)}</div>`);
  parts.push(
    table(
      ['disagreement', ...r.models.map(escapeHtml)],
      r.diversity.disagreement.map((row, i) => [escapeHtml(r.models[i]), ...row.map((v, j) => (i === j ? '–' : pct(v)))]),
    ),
  );
  if (diversityHints.length) {
    // The figures above in plain words (daemon/learning/diversityHints.ts).
    parts.push('<h3>Which members add diversity</h3>');
    parts.push(`<ul>${diversityHints.map((h) => `<li>${escapeHtml(h)}</li>`).join('')}</ul>`);
  }
  if (r.calibration) {
    const c = r.calibration;
    parts.push('<h2>Calibration</h2>');
    parts.push(
      `<p class="muted">ECE over ${escapeHtml(c.binning)}; Brier: binary score of the confidence in the answer (multiclass when probability vectors were recorded). Measured on the evaluated items; fitted on train.</p>`,
    );
    parts.push(
      table(
        ['model', 'method', 'T', 'ECE before', 'ECE after', 'Brier before', 'Brier after', 'answers'],
        c.models.map((m) => {
          const after = m.method === 'temperature' ? m.afterTemperature : m.method === 'platt' ? m.afterPlatt : null;
          return [
            escapeHtml(m.model),
            escapeHtml(m.method),
            num(m.temperature, 2),
            num(m.before.ece),
            num(after?.ece),
            num(m.before.brierMulticlass ?? m.before.brier),
            num(after ? (after.brierMulticlass ?? after.brier) : null),
            String(m.before.n),
          ];
        }),
      ),
    );
    parts.push(`<p class="muted">Reliability diagrams: outline = before, filled = after calibration; dashed = perfect calibration.</p>`);
    parts.push(`<div class="plots">${c.models.map((m) => reliabilitySvg(m.model, m.diagramBefore, m.diagramAfter)).join('')}</div>`);
  }
  return parts;
}

function page(title: string, parts: readonly string[]): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}

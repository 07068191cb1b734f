import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate } from '../../../daemon/learning/evaluate';
import type { Recording } from '../../../daemon/learning/recordings';
import { escapeHtml, reportHtml } from '../../../daemon/learning/reportHtml';
import { mulberry32 } from '../../../daemon/learning/split';

const EVIL = `"><img src=x onerror=alert(1)>&'`;

function recordings(): Recording[] {
  const r = mulberry32(4);
  const out: Recording[] = [];
  for (let i = 0; i < 300; i++) {
    const gold = 'ABC'[i % 3]!;
    for (const [model, acc] of [
      [EVIL, 0.7],
      ['plain', 0.5],
    ] as const) {
      const right = r() < acc;
      const p = right ? gold : 'ABC'[(i + 1) % 3]!;
      out.push({ item: `i${i}`, model, prediction: p, gold, category: i % 2 ? EVIL : 'c', confidence: right ? 0.95 : 0.9 });
    }
  }
  return out;
}

test('escapeHtml escapes the five special characters', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('the report is self-contained, themable, escapes every name, and draws its plots', () => {
  const html = reportHtml(evaluate(recordings(), { trainFraction: 0.5 }), `title ${EVIL}`);
  assert.ok(!html.includes(EVIL));
  // Only these elements, no attribute that loads anything: nothing external, no script.
  const tags = new Set([...html.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase()));
  const allowed = [
    'html',
    'head',
    'meta',
    'title',
    'style',
    'body',
    'h1',
    'h2',
    'p',
    'div',
    'strong',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'svg',
    'line',
    'text',
    'rect',
    'circle',
  ];
  assert.deepEqual(
    [...tags].filter((t) => !allowed.includes(t)),
    [],
  );
  const attributeNames = [...html.matchAll(/<[^>]*>/g)].map((m) => m[0].replace(/"[^"]*"/g, '""'));
  assert.deepEqual(
    attributeNames.filter((t) => /\s(src|href|on\w+)\s*=/i.test(t)),
    [],
  );
  assert.ok(!/url\(/i.test(html));
  assert.ok(html.includes(escapeHtml(EVIL)));
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
  assert.match(html, /var\(--vscode-editor-background, #fff\)/);
  assert.match(html, /aria-label="accuracy against calls per item"/);
  assert.match(html, /aria-label="error correlation matrix"/);
  assert.equal((html.match(/aria-label="reliability diagram/g) ?? []).length, 2);
  assert.match(html, /ECE before/);
});

test('without confidences there is no calibration section', () => {
  const recs = recordings().map(({ confidence: _c, ...r }) => r);
  const html = reportHtml(evaluate(recs, { trainFraction: 0 }));
  assert.ok(!html.includes('reliability diagram'));
  assert.match(html, /nothing fitted/);
});

/**
 * A generation side by side: one column per panel member (status, latency, tokens, finish reason,
 * mux's consistency), its answer with the words no other member used highlighted, the judge's
 * output under the panel, and which answers the judge was shown or selected. The panel is always
 * shown whole. All text goes in through `h` (textContent), never as HTML.
 */
import { panelDiff } from '../../common/panelDiff';
import type { PanelAnswer } from '../../protocol/generation';
import type { GenerationView } from '../../protocol/taskViews';
import { fmt, h, icon, ms } from '../dom';

const STATUS_ICON: Record<PanelAnswer['status'], string> = {
  ok: 'pass-filled',
  timeout: 'watch',
  error: 'error',
  missing: 'debug-disconnect',
  cancelled: 'circle-slash',
  rejected: 'thumbsdown',
  skipped: 'debug-step-over',
};

export function generationView(v: GenerationView): HTMLElement {
  const r = v.result;
  const diff = panelDiff(r.panel.map((a) => (a.status === 'ok' ? a.text : '')));
  const shown = new Set(r.judge?.shown ?? []);
  return h(
    'section',
    { class: 'task generation', data: { taskId: v.id }, attrs: { 'aria-label': `${r.strategy} panel` } },
    h(
      'div',
      { class: 'summary' },
      h(
        'div',
        { class: 'final' },
        icon(r.strategy === 'compare' ? 'split-horizontal' : 'combine'),
        h('span', { class: 'final-label' }, r.strategy),
        r.from ? h('span', { class: 'agreement' }, `answer from ${r.from}`) : null,
        r.missing.length > 0
          ? h(
              'span',
              { class: 'badge warn', title: 'still running when the round ended' },
              icon('warning'),
              `missing: ${r.missing.join(', ')}`,
            )
          : null,
      ),
      h(
        'div',
        { class: 'meta' },
        h('span', {}, icon('organization'), r.ensemble),
        h('span', {}, icon('clock'), ms(r.elapsedMs)),
        h('span', {}, icon('call-outgoing'), `${r.calls} calls`),
      ),
      h('blockquote', { class: 'input-text', title: 'the prompt' }, r.prompt),
    ),
    h(
      'div',
      { class: 'panel-columns', attrs: { role: 'list' } },
      ...r.panel.map((a, i) =>
        h(
          'article',
          {
            class: `panel-column status-${a.status}${a.member === r.from ? ' selected' : ''}`,
            attrs: { role: 'listitem', 'aria-label': a.member },
          },
          h(
            'header',
            {},
            h('span', { class: 'model-name' }, a.member),
            h('span', { class: 'status', title: a.error?.message ?? '' }, icon(STATUS_ICON[a.status]), a.status),
            shown.has(a.member) ? h('span', { class: 'badge', title: 'the judge was shown this answer' }, 'shown to judge') : null,
          ),
          h(
            'div',
            { class: 'panel-stats' },
            h('span', {}, ms(a.latencyMs)),
            h('span', {}, `${a.tokens} tok`),
            h('span', {}, a.finishReason ?? '—'),
            a.consistency !== undefined
              ? h('span', { title: 'share of its samples agreeing with its majority' }, `consistency ${fmt(a.consistency)}`)
              : null,
          ),
          a.status === 'ok'
            ? h(
                'p',
                { class: 'panel-text' },
                ...diff[i]!.map((run) =>
                  run.unique ? h('mark', { class: 'unique', title: 'no other member wrote this' }, run.text) : run.text,
                ),
              )
            : h('p', { class: 'panel-text muted' }, a.error?.message ?? a.status),
        ),
      ),
    ),
    r.judge
      ? h(
          'div',
          { class: 'judge' },
          h(
            'div',
            { class: 'meta' },
            h('span', {}, icon('law'), `judge ${r.judge.model} (${r.judge.mode})`),
            h('span', {}, r.judge.status),
            h('span', {}, ms(r.judge.latencyMs)),
            r.judge.selected ? h('span', {}, `selected ${r.judge.selected}`) : null,
          ),
          h('p', { class: 'panel-text' }, r.judge.mode === 'select' ? r.text : r.judge.text),
        )
      : null,
  );
}

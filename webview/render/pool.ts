/** The pool: each model's backend, state, memory and weight, and what to do about a broken one. */
import type { ModelStatus, PoolStatus } from '../../protocol/methods';
import { bytes, fmt, h, icon } from '../dom';
import { loopDelayText } from '../../common/loopDelayText';
import { diversitySection } from './diversity';

const STATE_ICON: Record<ModelStatus['state'], string> = {
  ready: 'pass-filled',
  idle: 'circle-large-outline',
  loading: 'loading',
  unavailable: 'warning',
  error: 'error',
  downloading: 'cloud-download',
  busy: 'sync',
  coolingDown: 'watch',
  failed: 'error',
};
const SPINNING = new Set<ModelStatus['state']>(['loading', 'downloading', 'busy']);

/** "llama.cpp · cuda 33/33 layers · 4.1 GiB VRAM" once an in-process model is loaded. */
function backendText(m: ModelStatus): string {
  const r = m.runtime;
  if (!r) return m.backend;
  const layers = r.gpu === 'cpu' ? '' : ` ${r.layersOffloaded}${r.layers !== undefined ? `/${r.layers}` : ''} layers`;
  return `${m.backend} · ${r.gpu}${layers}${r.vramBytes > 0 ? ` · ${bytes(r.vramBytes)} VRAM` : ''}`;
}

export function poolTable(pool: PoolStatus | null): HTMLElement {
  if (!pool) return h('p', { class: 'muted empty' }, 'Not connected to the daemon.');
  const rows = pool.models.flatMap((m) => {
    const main = h(
      'tr',
      { class: `pool-row state-${m.state}`, data: { model: m.id } },
      h('td', {}, h('span', { class: 'model-name' }, m.id)),
      h('td', {}, backendText(m)),
      h('td', { class: 'state' }, icon(STATE_ICON[m.state], SPINNING.has(m.state) ? 'codicon-modifier-spin' : ''), m.state),
      h('td', {}, bytes(m.memoryBytes)),
      h('td', {}, fmt(m.weight)),
      h('td', {}, m.recentAccuracy === null || m.recentAccuracy === undefined ? '—' : `${fmt(m.recentAccuracy)} (${m.feedbackCount ?? 0})`),
      // Contribution over decisions with known gold: how often this model's vote decided the
      // outcome, and how often it was right but outvoted.
      h(
        'td',
        { attrs: { title: 'decisive: removing its vote would have changed the decision; overruled: it was right but outvoted' } },
        `${m.decisive ?? 0} / ${m.overruledRight ?? 0}`,
      ),
      h('td', {}, `${m.requests} / ${m.failures}${m.latencyMs ? ` · p50 ${Math.round(m.latencyMs.p50)} ms` : ''}`),
    );
    const why = [m.reason, m.hint, m.laggard?.message].filter(Boolean).join(' — '); // a laggard's message says why it was demoted
    return why ? [main, h('tr', { class: 'pool-reason' }, h('td', { attrs: { colspan: '8' } }, icon('info'), why))] : [main];
  });
  const mem = pool.memory;
  return h(
    'div',
    { class: 'pool' },
    pool.configError ? h('p', { class: 'config-error' }, icon('error'), `Config error: ${pool.configError}`) : null,
    h(
      'table',
      { class: 'pool-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Model', 'Backend', 'State', 'Memory', 'Weight', 'Accuracy (n)', 'Decisive / overruled', 'Requests / failures'].map((t) =>
            h('th', { attrs: { scope: 'col' } }, t),
          ),
        ),
      ),
      h('tbody', {}, ...rows),
    ),
    diversitySection(pool.diversity),
    h(
      'p',
      { class: 'muted' },
      `Daemon ${pool.daemonVersion}, pid ${pool.pid} · memory planned ${bytes(mem.plannedBytes)} of ${bytes(mem.freeBytes)} free (${bytes(mem.totalBytes)} total) · ${pool.home}`,
    ),
    pool.eventLoop ? h('p', { class: 'muted loop-delay' }, loopDelayText(pool.eventLoop)) : null,
  );
}

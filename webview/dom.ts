/**
 * Building DOM without HTML strings: every piece of text (model output, labels, the user's text)
 * goes in through textContent, so a model answering `<script>` shows those characters and nothing
 * runs. Handlers are attached with addEventListener (the CSP forbids inline ones).
 */
import { formatSize } from '../common/formatSize';
type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  title?: string;
  /** Attributes (never `style` or `on*`: the CSP forbids inline styles and handlers). */
  attrs?: Record<string, string>;
  data?: Record<string, string>;
  on?: Partial<Record<'click' | 'change' | 'toggle' | 'keydown', (e: Event) => void>>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.title) el.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    if (k === 'style' || k.startsWith('on')) continue;
    el.setAttribute(k, v);
  }
  for (const [k, v] of Object.entries(props.data ?? {})) el.dataset[k] = v;
  for (const [ev, fn] of Object.entries(props.on ?? {})) if (fn) el.addEventListener(ev, fn);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/** A quoted input (the classified text, the question), or nothing when there is none. */
export function quote(text: string | undefined, title: string): HTMLElement | null {
  return text ? h('blockquote', { class: 'input-text', title }, text) : null;
}

/** A codicon (`check`, `error`, `loading` + spin...). */
export function icon(name: string, extra = ''): HTMLElement {
  const el = document.createElement('span');
  el.className = `codicon codicon-${name}${extra ? ` ${extra}` : ''}`;
  el.setAttribute('aria-hidden', 'true');
  return el;
}

/** A horizontal bar for a value in [0, 1]; width is set through the CSSOM, which the CSP allows. */
export function bar(value: number | null, kind: 'confidence' | 'dist' = 'confidence', highlight = false): HTMLElement {
  const v = value === null || !Number.isFinite(value) ? 0 : Math.max(0, Math.min(1, value));
  const fill = h('div', { class: `fill${highlight ? ' highlight' : ''}` });
  fill.style.width = `${(v * 100).toFixed(1)}%`;
  return h(
    'div',
    { class: `bar ${kind}`, attrs: { role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '1', 'aria-valuenow': v.toFixed(3) } },
    fill,
  );
}

export function fmt(n: number | null | undefined, digits = 2): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits);
}

export function ms(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

export function bytes(n: number | undefined): string {
  return n === undefined ? '—' : formatSize(n);
}

/**
 * Keyed children: a list (member rows, refinement steps) is brought up to date by rebuilding only
 * the children whose content changed, so a vote or a streamed token does not rebuild the page
 * around it. Each child built here remembers its key and a signature of what it shows; a child
 * whose signature still matches is kept as the same node (its focus, selection and scroll stay).
 */

interface Drawn {
  key: string;
  signature: string;
}

const drawn = new WeakMap<Element, Drawn>();

export interface KeyedList<T> {
  key: (item: T) => string;
  /** Equal signatures mean the child on screen is still right. */
  signature: (item: T) => string;
  build: (item: T) => HTMLElement;
}

/** A child built for `item`, remembered so `reconcile` can keep it. */
export function keyedChild<T>(item: T, list: KeyedList<T>): HTMLElement {
  const el = list.build(item);
  drawn.set(el, { key: list.key(item), signature: list.signature(item) });
  return el;
}

/** Makes `parent`'s children match `items`, in order, keeping every child whose signature is unchanged. */
export function reconcile<T>(parent: Element, items: readonly T[], list: KeyedList<T>): void {
  const byKey = new Map<string, Element>();
  for (const child of Array.from(parent.children)) {
    const d = drawn.get(child);
    if (d) byKey.set(d.key, child);
  }
  let at: Element | null = parent.firstElementChild;
  for (const item of items) {
    const old = byKey.get(list.key(item));
    const keep = old !== undefined && drawn.get(old)?.signature === list.signature(item);
    const el = keep ? old : keyedChild(item, list);
    if (old !== undefined) byKey.delete(list.key(item));
    if (old !== undefined && !keep) {
      if (old === at) at = old.nextElementSibling;
      old.remove();
    }
    if (el === at) at = el.nextElementSibling;
    else parent.insertBefore(el, at);
  }
  // What is left after the last wanted child is no longer shown.
  while (at) {
    const next: Element | null = at.nextElementSibling;
    at.remove();
    at = next;
  }
}

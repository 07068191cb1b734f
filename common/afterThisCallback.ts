/**
 * Runs work after the I/O callback that is running now and the promise jobs it queued: member
 * requests started in that callback are on the wire by then, so what runs here costs a lone request
 * nothing. Node runs it in the check phase; a browser (this file is also built for the webview, which
 * has no setImmediate) in a later task.
 */
const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;

export function afterThisCallback(f: () => void): void {
  if (immediate) immediate(f);
  else setTimeout(f, 0);
}

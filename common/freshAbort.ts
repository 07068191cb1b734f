/**
 * AbortControllers made ahead of need. Every request takes three before its first member request
 * goes out (the request's own, its deadline's, its batch's member timeout), and making one (Node's
 * EventTarget behind its signal, and the one listener `whenAborted` keeps on it) is a measurable part
 * of a lone request's latency on a cold cache. A few spare ones are made right after the request
 * that used them, while its members work. A spare one was never handed out, so nothing else holds it.
 */
import { whenAborted } from './abort';

const SPARE = 16;
const spare: AbortController[] = [];
let refillQueued = false;
// Looked up on globalThis: common/ is also type-checked for the webview, which has no setImmediate.
const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;

/** A new AbortController, never used before, whose signal is ready for `whenAborted`. */
export function freshAbortController(): AbortController {
  const controller = spare.pop() ?? make();
  if (spare.length < SPARE / 2 && !refillQueued) {
    refillQueued = true;
    // After the callback that took the last ones (Node's check phase): its member requests are out by then.
    if (immediate) immediate(refill);
    else setTimeout(refill, 0);
  }
  return controller;
}

function make(): AbortController {
  const controller = new AbortController();
  // The signal is made on first access, and the first wait on it adds the event listener: both now.
  whenAborted(controller.signal, noop)();
  return controller;
}

function refill(): void {
  refillQueued = false;
  while (spare.length < SPARE) spare.push(make());
}

function noop(): void {}

/**
 * A DOM for unit tests of the inspector's rendering (linkedom: small, no browser): installs its
 * `document` as the global the render code uses, and returns it.
 */
import { parseHTML } from 'linkedom';

export function installDom(): Document {
  const { document } = parseHTML('<!doctype html><html><body><div id="app"></div></body></html>');
  Object.assign(globalThis, { document });
  return document as unknown as Document;
}

/**
 * JSON text remembered beside a value that is serialized twice on the hot path: a decision goes to
 * its client in the reply and to the store's writer thread. `jsonOf` serializes the value once and
 * keeps the text (weakly, with the value); the JSON-RPC peer sends a result's remembered text
 * instead of stringifying it again, and the writer thread gets a string, which crosses threads as a
 * copy of its bytes instead of a structured clone of every object in the decision. The value must
 * not change once its text is taken.
 */
const texts = new WeakMap<object, string>();

export function jsonOf(value: object): string {
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}

/** The text `jsonOf` took of this value, if it took one. */
export function rememberedJson(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? texts.get(value) : undefined;
}

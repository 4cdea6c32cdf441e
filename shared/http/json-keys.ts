/**
 * The shape checks of a JSON body that `JSON.parse` does not make, in one pass over the text.
 *
 * Duplicate top-level keys in a JSON text. `JSON.parse` keeps the last value of a repeated key, while
 * other parsers (IONOS's among them) may keep the first: the proxy would then check one `model` and IONOS
 * read another. Bodies with a repeated top-level key are refused instead.
 *
 * Nesting depth: `JSON.parse` accepts values nested thousands deep, but every later recursive walk
 * (`JSON.stringify`, a schema check, a translation) overflows the stack on them. Bodies nested deeper than
 * any API value needs are refused at the edge instead.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  for (let from = start + 1; ;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return text.length;
    let slashes = 0;
    while (text.charCodeAt(quote - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** What one pass over a JSON text found. */
export interface JsonShape {
  /** The first top-level key that appears twice, compared after unescaping (`"model"` and `"mod\u0065l"` are one key). */
  repeatedKey: string | undefined;
  /** How deep objects and arrays nest (1 for a flat object). */
  depth: number;
}

/** Scans `text`, which must be valid JSON (call after `JSON.parse` succeeded). */
export function jsonShape(text: string): JsonShape {
  const seen = new Set<string>();
  let depth = 0;
  let deepest = 0;
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (depth === 1 && keyNext) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (seen.has(key)) return { repeatedKey: key, depth: deepest };
        seen.add(key);
        keyNext = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth > deepest) deepest = depth;
      keyNext = depth === 1 && c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */ && depth === 1) {
      keyNext = true;
    }
  }
  return { repeatedKey: undefined, depth: deepest };
}

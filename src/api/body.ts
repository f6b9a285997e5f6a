import { BodyTooDeepError, ParseError } from './errors';

/**
 * Request bodies: JSON whatever the Content-Type, as Crossbar reads them, with a bound on the
 * nesting depth. Every later step (cloning, schema validation, the store's canonical JSON) walks
 * a document recursively, so a body nested thousands of levels deep would overflow the stack
 * there and be answered 500; it is refused here with a 400 instead, before anything runs.
 */

/**
 * Pure: whether `text` opens more than `max` nested arrays/objects at some point. One linear
 * pass without recursion; brackets inside strings (escapes included) do not count. Malformed
 * text is not judged here (JSON.parse reports it).
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** Parses a request body; undefined for an empty one. Throws ParseError or BodyTooDeepError. */
export function parseBody(text: string, maxDepth: number): unknown {
  if (text.trim() === '') return undefined;
  if (nestedDeeperThan(text, maxDepth)) throw new BodyTooDeepError(maxDepth);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ParseError();
  }
}

import pino, { type Logger } from 'pino';

/**
 * Parts name themselves with a `part` binding, and a part's logger is often made from another
 * part's (recording -> delivery, calls -> recording -> recorder). pino appends a child's
 * bindings to its parent's as text, so such a line carried `"part":"recording","part":"delivery"`:
 * legal JSON that most parsers read as the last value, but that grep, jq's streaming mode and
 * log shippers see twice. The service's logger rewrites each new child's bindings so every key
 * appears once, with the innermost value (what a JSON parser already read), at its first place.
 */

const CHINDINGS = pino.symbols.chindingsSym;

type WithChindings = Logger & { [CHINDINGS]?: string };

/** Pure: pino's bindings text (`,"k":v,...`) with each key once, the last value kept. */
export function uniqueChindings(raw: string): string {
  if (raw === '') return raw;
  const parsed = JSON.parse(`{${raw.slice(1)}}`) as Record<string, unknown>;
  let out = '';
  for (const [k, v] of Object.entries(parsed)) out += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  return out;
}

/** A logger whose descendants (children, children of children...) carry each binding key once. */
export function withUniqueBindings(log: Logger): Logger {
  const root = log.child({});
  const inherited = root.onChild;
  // onChild is inherited through the prototype chain pino builds children with, so it runs for
  // every descendant, after the child's bindings text is computed.
  root.onChild = (child) => {
    const c = child as WithChindings;
    const raw = c[CHINDINGS];
    if (typeof raw === 'string') c[CHINDINGS] = uniqueChindings(raw);
    inherited.call(root, child);
  };
  return root;
}

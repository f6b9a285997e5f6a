/**
 * The one cache of compiled regular expressions from documents: callflow `patterns` and
 * resource `rules` are both user-written regexes met on every call. Each is compiled once; an
 * invalid one is remembered as null and never matches. Bounded: the cache is emptied when full,
 * so a tenant writing many distinct patterns cannot grow it without limit.
 */

const compiled = new Map<string, RegExp | null>();
const MAX_CACHED = 10_000;

export function compilePattern(pattern: string): RegExp | null {
  let re = compiled.get(pattern);
  if (re !== undefined) return re;
  try {
    re = new RegExp(pattern);
  } catch {
    re = null;
  }
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(pattern, re);
  return re;
}

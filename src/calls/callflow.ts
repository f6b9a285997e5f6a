import type { CallflowInfo, Directory } from '../directory/types';
import { compilePattern } from './patterns';

/**
 * Kazoo's callflow selection for a dialled number within an account:
 *   1. a callflow listing the number in `numbers`;
 *   2. else the callflows whose `patterns` (regular expressions) match it; when several do,
 *      the one whose match (its first capture group when it has one) is longest wins, as Kazoo
 *      prefers the most specific pattern;
 *   3. else the account's catch-all callflow, the one listing the number `no_match`.
 */

export const NO_MATCH = 'no_match';

export enum MatchKind {
  Number = 'number',
  Pattern = 'pattern',
  NoMatch = 'no_match',
}

export interface CallflowMatch {
  callflow: CallflowInfo;
  kind: MatchKind;
  /** The pattern that matched (kind Pattern). */
  pattern?: string;
  /** The first capture group, or the whole match (Kazoo's `capture_group`). */
  captureGroup?: string;
}

/** Pure: choose among candidates already fetched for the account. */
export function selectCallflow(
  number: string,
  exact: CallflowInfo | undefined,
  patternFlows: readonly CallflowInfo[],
  noMatch: CallflowInfo | undefined,
): CallflowMatch | undefined {
  if (exact) return { callflow: exact, kind: MatchKind.Number };
  let best: CallflowMatch | undefined;
  let bestLen = -1;
  for (const cf of patternFlows) {
    for (const p of cf.patterns ?? []) {
      const m = compilePattern(p)?.exec(number);
      if (!m) continue;
      const capture = m.length > 1 && m[1] !== undefined ? m[1] : m[0];
      if (capture.length > bestLen) {
        best = { callflow: cf, kind: MatchKind.Pattern, pattern: p, captureGroup: capture };
        bestLen = capture.length;
      }
    }
  }
  if (best) return best;
  return noMatch ? { callflow: noMatch, kind: MatchKind.NoMatch } : undefined;
}

/** The callflow for `number` in the account, or undefined when none applies (answer 404). */
export async function lookupCallflow(dir: Directory, accountId: string, number: string): Promise<CallflowMatch | undefined> {
  const exact = await dir.callflowByNumber(accountId, number);
  if (exact) return { callflow: exact, kind: MatchKind.Number };
  const patterns = await dir.patternCallflows(accountId);
  const viaPattern = selectCallflow(number, undefined, patterns, undefined);
  if (viaPattern) return viaPattern;
  const noMatch = await dir.callflowByNumber(accountId, NO_MATCH);
  return noMatch ? { callflow: noMatch, kind: MatchKind.NoMatch } : undefined;
}

/**
 * The user part of a Request-URI or To URI as the dialled number: URI parameters and a
 * visual-separator-free form (RFC 3966 allows `-` `.` `(` `)` in telephone numbers).
 */
export function dialledNumber(uri: string): string {
  const m = /^(?:sips?|tel):([^@;?>]*)/i.exec(uri.trim().replace(/^</, ''));
  const user = m ? safeDecode(m[1]) : '';
  return /^\+?[0-9().\- ]+$/.test(user) ? user.replace(/[().\- ]/g, '') : user;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

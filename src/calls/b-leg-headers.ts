import type Srf from 'drachtio-srf';
import type { Caller } from '../signalling/direction';

/**
 * What the B2BUA reads from the caller's INVITE to build the B legs' requests: the caller's
 * From tag (rtpengine's call side), the user part of a URI, the identity the callee sees and
 * Max-Forwards carried over. Pure functions over the request.
 */

export function fromTagOf(req: Srf.SrfRequest): string {
  try {
    const tag = req.getParsedHeader('From').params?.tag;
    return typeof tag === 'string' ? tag : '';
  } catch {
    return '';
  }
}

export function userOf(uri: string): string {
  const m = /^(?:sips?|tel):([^@;>]*)/i.exec(uri.trim().replace(/^.*</, ''));
  return m ? m[1] : 'anonymous';
}

/** Headers of the B-leg INVITEs: the caller's identity, presented under our own dialog. */
export function bLegHeaders(req: Srf.SrfRequest, caller: Caller): Record<string, string> {
  let display = '';
  let user = 'anonymous';
  try {
    const from = req.getParsedHeader('From');
    display = (from.name ?? '').replace(/"/g, '');
    user = userOf(from.uri);
  } catch { /* keep anonymous */ }
  const host = caller.account.realm;
  const name = display ? `"${display}" ` : '';
  // Max-Forwards carried over, decremented: a call looping through a trunk back to us dies out
  // (RFC 3261 16.6 step 3 for proxies; a B2BUA that reset it to 70 would loop forever).
  return { From: `${name}<sip:${user}@${host}>`, 'Max-Forwards': String(maxForwardsOf(req) - 1) };
}

export function maxForwardsOf(req: Srf.SrfRequest): number {
  const v = req.has('Max-Forwards') ? Number(req.get('Max-Forwards').trim()) : 70;
  return Number.isInteger(v) && v >= 0 ? Math.min(v, 70) : 70;
}

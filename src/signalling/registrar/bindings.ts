import { contactKey, type ContactList } from './contact';

/** Where the REGISTER actually came from: calls to the binding go here (NAT traversal). */
export interface ReceivedFrom {
  address: string;
  port: number;
  transport: string;
}

export interface Binding {
  /** `username@realm`, realm lower-cased. */
  aor: string;
  /** The Contact URI as registered. */
  contact: string;
  /** contactKey(contact): bindings are the same when their keys are. */
  key: string;
  callId: string;
  cseq: number;
  /** Unix ms. */
  expiresAt: number;
  registeredAt: number;
  /** Unix ms of the last REGISTER that wrote this binding. */
  updatedAt: number;
  received: ReceivedFrom;
  /**
   * RFC 3327 Path header values of the REGISTER, in order (the edge proxy nearest to us first):
   * requests to this contact are sent with them as the Route set (RFC 3327 5.3, 6).
   */
  path?: string[];
  accountId: string;
  deviceId: string;
  ownerId?: string;
  username: string;
  realm: string;
  userAgent?: string;
  /** RFC 5626 instance id and reg-id, kept for the API when a phone sends them. */
  instanceId?: string;
  regId?: string;
  q?: number;
}

export interface ExpiryLimits {
  minExpires: number;
  maxExpires: number;
  defaultExpires: number;
  maxContactsPerAor: number;
}

/** What the registrar knows about one REGISTER once it is authenticated. */
export interface RegisterInput {
  aor: string;
  contacts: ContactList;
  /** The Expires header, when present (seconds). */
  expiresHeader?: number;
  callId: string;
  cseq: number;
  received: ReceivedFrom;
  path?: string[];
  accountId: string;
  deviceId: string;
  ownerId?: string;
  username: string;
  realm: string;
  userAgent?: string;
}

export type RegisterPlan =
  | { ok: true; bindings: Binding[]; changed: boolean }
  | { ok: false; status: number; reason: string; headers: Record<string, string> };

const refuse = (status: number, reason: string, headers: Record<string, string> = {}): RegisterPlan =>
  ({ ok: false, status, reason, headers });

/**
 * RFC 3261 10.3 steps 6-7 as a pure function: from the AOR's current bindings and one
 * REGISTER, the bindings to keep (or the error to answer). The whole request is applied or
 * none of it ("the binding updates MUST be committed ... only if all of them succeed").
 */
export function planRegister(current: Binding[], req: RegisterInput, nowMs: number, limits: ExpiryLimits): RegisterPlan {
  const live = current.filter((b) => b.expiresAt > nowMs);

  if (req.contacts.wildcard) {
    // Step 6: `*` is only allowed with Expires: 0.
    if (req.expiresHeader !== 0) return refuse(400, 'Wildcard Contact requires Expires: 0');
    for (const b of live) {
      // Same Call-ID with a CSeq not higher: an out-of-order request, abort.
      if (b.callId === req.callId && req.cseq <= b.cseq) return refuse(500, 'Out Of Order CSeq', { 'Retry-After': '1' });
    }
    return { ok: true, bindings: [], changed: live.length > 0 };
  }

  let next = [...live];
  let changed = false;
  for (const c of req.contacts.contacts) {
    const raw = c.params.expires ?? (req.expiresHeader !== undefined ? String(req.expiresHeader) : undefined);
    let expires = raw === undefined ? limits.defaultExpires : Number(raw);
    // An unparsable expires parameter is taken as the default (RFC 3261 10.3 step 7 "if ... not
    // present ... default"); a malformed value is not a reason to refuse the registration.
    if (!Number.isFinite(expires) || expires < 0 || !/^\d+$/.test(raw ?? '0')) expires = limits.defaultExpires;
    // Step 7: too short (but not zero) -> 423 with Min-Expires; too long is shortened.
    if (expires > 0 && expires < limits.minExpires) {
      return refuse(423, 'Interval Too Brief', { 'Min-Expires': String(limits.minExpires) });
    }
    expires = Math.min(expires, limits.maxExpires);
    const key = contactKey(c.uri);
    const existing = next.find((b) => b.key === key);
    if (existing && existing.callId === req.callId && req.cseq <= existing.cseq) {
      return refuse(500, 'Out Of Order CSeq', { 'Retry-After': '1' });
    }
    next = next.filter((b) => b.key !== key);
    if (existing) changed = true;
    if (expires === 0) continue;
    changed = true;
    const q = c.params.q !== undefined ? Number(c.params.q) : undefined;
    next.push({
      aor: req.aor, contact: c.uri, key, callId: req.callId, cseq: req.cseq,
      expiresAt: nowMs + expires * 1000, registeredAt: existing?.registeredAt ?? nowMs, updatedAt: nowMs,
      received: req.received, ...(req.path && req.path.length > 0 ? { path: req.path } : {}), accountId: req.accountId, deviceId: req.deviceId,
      ...(req.ownerId !== undefined ? { ownerId: req.ownerId } : {}),
      username: req.username, realm: req.realm,
      ...(req.userAgent !== undefined ? { userAgent: req.userAgent } : {}),
      ...(c.params['+sip.instance'] !== undefined ? { instanceId: c.params['+sip.instance'].replace(/^<|>$/g, '') } : {}),
      ...(c.params['reg-id'] !== undefined ? { regId: c.params['reg-id'] } : {}),
      ...(q !== undefined && Number.isFinite(q) ? { q } : {}),
    });
  }
  // Bounded per AOR. `next` is ordered by last write (refreshed bindings were moved to the
  // end), so the least recently refreshed ones are dropped.
  if (next.length > limits.maxContactsPerAor) next = next.slice(next.length - limits.maxContactsPerAor);
  return { ok: true, bindings: next, changed };
}

/** Seconds left on a binding, for the Contact's expires parameter in the 200 OK (10.3 step 8). */
export function secondsLeft(b: Binding, nowMs: number): number {
  return Math.max(0, Math.round((b.expiresAt - nowMs) / 1000));
}

export function aorOf(username: string, realm: string): string {
  return `${username}@${realm.toLowerCase()}`;
}

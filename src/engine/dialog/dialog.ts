/**
 * A SIP dialog as the engine tracks it for drachtio-srf (RFC 3261 section 12), and the pure
 * construction of requests inside it (12.2.1.1). Ids follow drachtio-server's convention
 * `<Call-ID>;from-tag=<caller's tag>` (srf's findDialogByCallIDAndFromTag relies on it).
 */
import type { TransportName } from '../drachtio/sip-port';
import { isLooseRoute, uriOf } from './fields';
import { getHeader, hasHeader, prependHeaders, removeHeader, setHeader, type TextMessage } from '../drachtio/text-message';

export enum DialogState {
  Early = 'early',
  Confirmed = 'confirmed',
  Terminated = 'terminated',
}

export type DialogRole = 'uac' | 'uas';

export interface DialogInit {
  role: DialogRole;
  kind: 'invite' | 'subscribe';
  callId: string;
  localTag: string;
  remoteTag: string;
  /** Full From (uac) / To (uas) value we send, tag included. */
  localAddr: string;
  /** Full To (uac) / From (uas) value we send, tag included. */
  remoteAddr: string;
  localSeq: number;
  remoteSeq: number;
  remoteTarget: string;
  /** In the order requests must carry them (already reversed for the UAC, 12.1.2). */
  routeSet: string[];
  localContact: string;
  transport: TransportName;
  /** The application connection that owns the dialog. */
  owner: string;
}

export function dialogIdOf(callId: string, callerTag: string): string {
  return `${callId};from-tag=${callerTag}`;
}

/** Headers the engine owns in an in-dialog request; the app's values are replaced (drachtio does the same). */
const OWNED = ['via', 'from', 'to', 'call-id', 'cseq', 'route'];

export class Dialog {
  readonly id: string;
  state = DialogState.Confirmed;
  /** CSeq number of the INVITE that set up (or last refreshed) the session: ACK reuses it (13.2.2.4). */
  inviteSeq: number;
  /** The ACK we sent for the 2xx (UAC), resent when the 2xx is retransmitted. */
  lastAck?: TextMessage;

  constructor(readonly init: DialogInit) {
    this.id = dialogIdOf(init.callId, init.role === 'uac' ? init.localTag : init.remoteTag);
    this.inviteSeq = init.localSeq;
  }

  get key(): string {
    return dialogKey(this.init.callId, this.init.localTag);
  }

  /**
   * Completes the app's request (method line + optional headers/body) into a request inside
   * this dialog. ACK and CANCEL keep the INVITE's sequence number; everything else increments it.
   */
  buildRequest(method: string, app: TextMessage): TextMessage {
    const d = this.init;
    let seq: number;
    if (method === 'ACK') seq = this.inviteSeq;
    else {
      d.localSeq += 1;
      seq = d.localSeq;
      if (method === 'INVITE') this.inviteSeq = seq;
    }
    const routes = [...d.routeSet];
    let ruri = d.remoteTarget;
    // Strict router first (no ;lr): it goes in the Request-URI and the remote target last (12.2.1.1).
    if (routes.length > 0 && !isLooseRoute(routes[0])) {
      ruri = uriOf(routes.shift() as string);
      routes.push(`<${d.remoteTarget}>`);
    }
    const m: TextMessage = { startLine: `${method} ${ruri} SIP/2.0`, headers: [...app.headers], body: app.body };
    for (const h of OWNED) removeHeader(m, h);
    setHeader(m, 'From', d.localAddr);
    setHeader(m, 'To', d.remoteAddr);
    setHeader(m, 'Call-ID', d.callId);
    setHeader(m, 'CSeq', `${seq} ${method}`);
    if (routes.length > 0) prependHeaders(m, 'Route', routes);
    if (['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER'].includes(method) && !hasHeader(m, 'contact')) {
      setHeader(m, 'Contact', d.localContact);
    }
    if (m.body.length > 0 && !hasHeader(m, 'content-type') && m.body.startsWith('v=0')) {
      setHeader(m, 'Content-Type', 'application/sdp');
    }
    return m;
  }

  /** Updates the remote target from a target-refresh request or response (12.2.2, RFC 3311). */
  refreshTarget(contact: string | undefined): void {
    if (contact) this.init.remoteTarget = uriOf(contact);
  }

  /** RFC 3261 12.2.2: a lower CSeq than the last one seen is out of order. */
  acceptRemoteSeq(seq: number, method: string): boolean {
    if (method === 'ACK' || method === 'CANCEL') return true;
    if (seq < this.init.remoteSeq) return false;
    this.init.remoteSeq = seq;
    return true;
  }
}

export function dialogKey(callId: string, localTag: string): string {
  return `${callId}\n${localTag}`;
}

/** The content type to use for an app body: drachtio defaults SDP bodies, refuses others unlabelled. */
export function contentTypeProblem(m: TextMessage): string | null {
  if (m.body.length === 0 || getHeader(m, 'content-type')) return null;
  if (m.body.startsWith('v=0')) {
    setHeader(m, 'Content-Type', 'application/sdp');
    return null;
  }
  return 'missing content-type';
}

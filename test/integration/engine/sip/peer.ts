import { createSocket, type Socket } from 'node:dgram';
import { parseMessage, SipStack, type SipMessage, type SipRequest, type SipResponse } from '../../../../src/engine/sip';
import { freePort, freePorts } from '../../../helpers/ports';

/**
 * Small timers so RFC 3261 timer behaviour shows within ~1.3 s. T2 = 2*T1 makes capped and
 * uncapped schedules differ by a wide margin (about 33 vs 7 sends in 64*T1), so counts stay
 * unambiguous on a loaded machine.
 */
export const T = { t1: 20, t2: 40, t4: 100 };
const LIMITS = { maxMessageBytes: 65535, maxHeaders: 64 };

/** A raw UDP SIP peer: sends text, records every parsed message it receives. */
export class RawPeer {
  readonly received: SipMessage[] = [];
  /** Every datagram as text, parseable or not (a 400 to a broken request may lack headers). */
  readonly raw: string[] = [];
  private waiters: { pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];
  private constructor(readonly socket: Socket, readonly port: number) {
    socket.on('message', (buf) => {
      this.raw.push(buf.toString());
      const r = parseMessage(buf, LIMITS);
      if (!r.ok) return;
      this.received.push(r.message);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(r.message)) return true;
        w.resolve(r.message);
        return false;
      });
    });
  }

  static async create(): Promise<RawPeer> {
    const port = await freePort();
    const s = createSocket('udp4');
    await new Promise<void>((res) => s.bind(port, '127.0.0.1', () => res()));
    return new RawPeer(s, port);
  }

  send(text: string, port: number): void {
    this.socket.send(Buffer.from(text), port, '127.0.0.1');
  }

  /** Resolves with the first (already received or future) message matching pred; rejects after ms. */
  waitFor(pred: (m: SipMessage) => boolean, ms = 5000, skip = 0): Promise<SipMessage> {
    const already = this.received.filter(pred);
    if (already.length > skip) return Promise.resolve(already[skip]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('peer wait timed out')), ms);
      let seen = already.length;
      const w = {
        pred: (m: SipMessage) => pred(m) && seen++ >= skip,
        resolve: (m: SipMessage) => { clearTimeout(timer); resolve(m); },
      };
      this.waiters.push(w);
    });
  }

  count(pred: (m: SipMessage) => boolean): number {
    return this.received.filter(pred).length;
  }

  close(): void {
    this.socket.close();
  }
}

export const isRes = (status: number, method?: string) => (m: SipMessage): boolean =>
  m.kind === 'response' && m.status === status && (!method || (m.get('cseq') ?? '').endsWith(` ${method}`));
export const isReq = (method: string) => (m: SipMessage): boolean => m.kind === 'request' && m.method === method;
export type { SipRequest, SipResponse };

export async function makeStack(transports: ('udp' | 'tcp')[] = ['udp', 'tcp']): Promise<{ stack: SipStack; port: number }> {
  for (let i = 0; i < 5; i++) {
    const [port] = await freePorts(1);
    const stack = new SipStack({ listen: [{ host: '127.0.0.1', port, transports }], ...T, ...LIMITS });
    try {
      await stack.start();
      return { stack, port };
    } catch {
      await stack.close();
    }
  }
  throw new Error('could not start a stack');
}

let seq = 0;
/** A request as text from the raw peer. */
export function rawRequest(method: string, peerPort: number, stackPort: number, o: { branch?: string; callId?: string; cseq?: number; toTag?: string; body?: string } = {}): string {
  seq++;
  const branch = o.branch ?? `z9hG4bKraw${seq}`;
  const body = o.body ?? '';
  return [
    `${method} sip:svc@127.0.0.1:${stackPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peerPort};branch=${branch};rport`,
    'From: <sip:peer@127.0.0.1>;tag=peertag',
    `To: <sip:svc@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId ?? `call-${seq}`}`,
    `CSeq: ${o.cseq ?? 1} ${method}`,
    'Max-Forwards: 70',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** A response as text from the raw peer to a request it received. */
export function rawResponse(req: SipRequest, status: number, reason: string, toTag = 'peerto'): string {
  const vias = req.headers.getAll('via').map((v) => `Via: ${v}`);
  const to = req.get('to') ?? '';
  return [
    `SIP/2.0 ${status} ${reason}`,
    ...vias,
    `From: ${req.get('from')}`,
    `To: ${to.includes('tag=') || status === 100 ? to : `${to};tag=${toTag}`}`,
    `Call-ID: ${req.get('call-id')}`,
    `CSeq: ${req.get('cseq')}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits for an event with a bound. */
export function onceWithin<T extends unknown[]>(em: { once(ev: string, l: (...a: T) => void): unknown }, ev: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${ev}' within ${ms} ms`)), ms);
    em.once(ev, (...a: T) => { clearTimeout(timer); resolve(a); });
  });
}

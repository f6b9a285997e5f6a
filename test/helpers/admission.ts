import type Srf from 'drachtio-srf';
import type { Admission } from '../../src/service/admission';

export interface SentReply {
  status: number;
  headers?: Record<string, string>;
}

/**
 * Drives an Admission's drachtio-srf INVITE middleware and OPTIONS handler with bare requests:
 * `invite` says whether the request was passed on, `options` the status answered; every reply
 * either sent is kept in `sent`.
 */
export function gateProbe(a: Admission): { invite(method: string, isNewInvite: boolean): boolean; options(): number; sent: SentReply[] } {
  const gate = a.inviteGate();
  const answer = a.optionsAnswer();
  const sent: SentReply[] = [];
  const res = (): Srf.SrfResponse => ({
    send: (status: number, o?: { headers?: Record<string, string> }) => { sent.push({ status, ...(o?.headers ? { headers: o.headers } : {}) }); },
  }) as unknown as Srf.SrfResponse;
  return {
    sent,
    invite(method, isNewInvite) {
      let next = false;
      gate({ method, isNewInvite } as unknown as Srf.SrfRequest, res(), () => { next = true; });
      return next;
    },
    options() {
      const before = sent.length;
      answer({} as Srf.SrfRequest, res());
      return sent[before]?.status ?? 0;
    },
  };
}

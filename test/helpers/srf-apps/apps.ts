/**
 * Small drachtio-srf applications used to test the engine (and by bench/cps.ts). They are
 * ordinary srf apps: they connect over the wire protocol exactly as they would to
 * drachtio-server.
 */
import Srf from 'drachtio-srf';

export interface AppCounters {
  invites: number;
  answered: number;
  failed: number;
  ended: number;
  registers: number;
  reinvites: number;
  unsolicitedByes: number;
  errors: string[];
}

export function newCounters(): AppCounters {
  return { invites: 0, answered: 0, failed: 0, ended: 0, registers: 0, reinvites: 0, unsolicitedByes: 0, errors: [] };
}

/** Connects an srf instance; rejects on authentication failure or after timeoutMs. */
export function connectSrf(port: number, secret: string, host = '127.0.0.1', timeoutMs = 5000): Promise<Srf> {
  const srf = new Srf();
  return new Promise<Srf>((resolve, reject) => {
    const timer = setTimeout(() => {
      srf.disconnect();
      reject(new Error('srf connect timeout'));
    }, timeoutMs);
    srf.on('connect', (err: Error | null) => {
      clearTimeout(timer);
      if (!err) {
        resolve(srf);
        return;
      }
      // Stop srf's reconnect loop: a rejected app must not keep retrying (and the test alive).
      try {
        srf.disconnect();
      } catch {
        // no socket left to close
      }
      reject(err);
    });
    srf.on('error', () => undefined);
    srf.connect({ host, port, secret });
  });
}

const ANSWER_SDP = [
  'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 30000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', '',
].join('\r\n');

/** Answers every INVITE with 200 + SDP (createUAS). */
export function installUas(srf: Srf, c: AppCounters): void {
  srf.invite(async (req, res) => {
    c.invites++;
    try {
      const dlg = await srf.createUAS(req, res, { localSdp: ANSWER_SDP });
      c.answered++;
      dlg.on('destroy', () => { c.ended++; });
    } catch (err) {
      c.failed++;
      c.errors.push(String(err));
    }
  });
}

/**
 * createB2BUA to `target` (a sip: URI); each side's BYE tears down the other (srf does that);
 * re-INVITEs from either side are relayed to the other (dialog 'modify').
 */
export function installB2bua(srf: Srf, target: string, c: AppCounters): void {
  srf.invite(async (req, res) => {
    c.invites++;
    try {
      const { uas, uac } = await srf.createB2BUA(req, res, target, { localSdpB: req.body });
      c.answered++;
      const relay = (from: Srf.Dialog, to: Srf.Dialog): void => {
        from.on('modify', (mreq: Srf.SrfRequest, mres: Srf.SrfResponse) => {
          c.reinvites++;
          to.modify(mreq.body).then(
            (sdp: string) => mres.send(200, { body: sdp }),
            () => mres.send(500),
          );
        });
      };
      relay(uas, uac);
      relay(uac, uas);
      let done = false;
      const end = (): void => {
        if (done) return;
        done = true;
        c.ended++;
      };
      uas.on('destroy', () => { end(); uac.destroy(); });
      uac.on('destroy', () => { end(); uas.destroy(); });
    } catch (err) {
      c.failed++;
      if (c.errors.length < 20) c.errors.push(String((err as { status?: number }).status ?? err));
    }
  });
}

/** A registrar that accepts every REGISTER (srf.register handler). */
export function installRegistrar(srf: Srf, c: AppCounters): void {
  // srf.register exists at runtime (a verb method that sends `route|register`) but is missing
  // from the shipped typings; srf.on('register') would only be an EventEmitter listener.
  const verbs = srf as unknown as { register(h: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void };
  verbs.register((req, res) => {
    c.registers++;
    res.send(200, { headers: { Contact: req.get('Contact'), Expires: req.get('Expires') ?? '3600' } });
  });
}

/** Places a call to a SIP URI (createUAC), keeps it for holdMs, then hangs up. */
export async function callAndHangUp(srf: Srf, uri: string, holdMs: number): Promise<{ answered: boolean; byeOk: boolean }> {
  const dlg = await srf.createUAC(uri, { localSdp: ANSWER_SDP });
  await new Promise((r) => setTimeout(r, holdMs));
  await dlg.destroy();
  return { answered: true, byeOk: true };
}

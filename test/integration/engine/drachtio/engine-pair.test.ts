/**
 * Two engines, each with its own srf app, calling each other: in-dialog requests sent by dialog
 * id from both the UAC and the UAS side, delivered to the other app with its dialog id; an
 * out-of-dialog OPTIONS through srf.request; a BYE from the UAS side ending the UAC dialog.
 */
import t from 'tap';
import type Srf from 'drachtio-srf';
import { connectSrf } from '../../../helpers/srf-apps/apps';
import { SECRET, startEngine, waitFor } from '../../../helpers/srf-apps/harness';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n';

interface RequestingDialog {
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; get(h: string): string }>;
}
interface SrfWithVerbs {
  options(h: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void;
  request(uri: string, opts: { method: string; headers?: Record<string, string> }): Promise<{
    on(ev: 'response', cb: (res: { status: number; get(h: string): string }) => void): void;
  }>;
}

/** Dialog#id exists at runtime but is missing from srf's typings. */
const idOf = (d: Srf.Dialog | undefined): string => (d as unknown as { id?: string } | undefined)?.id ?? '';

t.test('engine to engine: UAC and UAS dialogs, in-dialog INFO both ways, OPTIONS, BYE from the UAS', async (t) => {
  const e1 = await startEngine();
  const e2 = await startEngine();
  t.teardown(async () => { await e1.close(); await e2.close(); });
  const a1 = await connectSrf(e1.drachtioPort, SECRET);
  const a2 = await connectSrf(e2.drachtioPort, SECRET);
  t.teardown(() => { a1.disconnect(); a2.disconnect(); });

  const infos: { side: string; body: string; dialogId: string }[] = [];
  let uas: Srf.Dialog | undefined;
  a2.invite(async (req, res) => {
    uas = await a2.createUAS(req, res, { localSdp: SDP });
    uas.on('info', (r: Srf.SrfRequest, s: Srf.SrfResponse) => {
      infos.push({ side: 'uas', body: String(r.body), dialogId: String((r as unknown as { stackDialogId: string }).stackDialogId) });
      s.send(200);
    });
  });
  (a2 as unknown as SrfWithVerbs).options((req, res) => res.send(200, { headers: { 'X-Echo': req.get('X-Probe') } }));

  const uac = await a1.createUAC(`sip:b@127.0.0.1:${e2.sipPort}`, { localSdp: SDP });
  uac.on('info', (r: Srf.SrfRequest, s: Srf.SrfResponse) => {
    infos.push({ side: 'uac', body: String(r.body), dialogId: String((r as unknown as { stackDialogId: string }).stackDialogId) });
    s.send(200);
  });
  t.ok(await waitFor(() => uas !== undefined), 'UAS dialog created');
  t.equal(e1.engine.drachtio.stats().dialogs, 1);
  t.equal(e2.engine.drachtio.stats().dialogs, 1);
  t.match(idOf(uac), /;from-tag=/, 'drachtio-style dialog id');

  const r1 = await (uac as unknown as RequestingDialog).request({ method: 'INFO', headers: { 'Content-Type': 'text/plain' }, body: 'from-uac' });
  t.equal(r1.status, 200, 'INFO from the UAC side answered');
  const r2 = await (uas as unknown as RequestingDialog).request({ method: 'INFO', headers: { 'Content-Type': 'text/plain' }, body: 'from-uas' });
  t.equal(r2.status, 200, 'INFO from the UAS side answered');
  t.same(infos.map((i) => [i.side, i.body]), [['uas', 'from-uac'], ['uac', 'from-uas']]);
  t.equal(infos[0].dialogId, idOf(uas), 'delivered with the UAS dialog id');
  t.equal(infos[1].dialogId, idOf(uac), 'delivered with the UAC dialog id');

  const sent = await (a1 as unknown as SrfWithVerbs).request(`sip:probe@127.0.0.1:${e2.sipPort}`, { method: 'OPTIONS', headers: { 'X-Probe': 'p1' } });
  const options = await new Promise<{ status: number; get(h: string): string }>((resolve) => sent.on('response', resolve));
  t.equal(options.status, 200);
  t.equal(options.get('X-Echo'), 'p1', 'app header carried both ways');

  const ended = new Promise<void>((resolve) => uac.on('destroy', () => resolve()));
  await (uas as Srf.Dialog).destroy();
  await ended;
  t.ok(await waitFor(() => e1.engine.drachtio.stats().dialogs === 0 && e2.engine.drachtio.stats().dialogs === 0), 'both engines forgot the dialog');
});

t.test('engine to engine: a 401 challenge answered by srf digest auth (same Call-ID, CSeq+1, From tag kept)', async (t) => {
  const e1 = await startEngine();
  const e2 = await startEngine();
  t.teardown(async () => { await e1.close(); await e2.close(); });
  const a1 = await connectSrf(e1.drachtioPort, SECRET);
  const a2 = await connectSrf(e2.drachtioPort, SECRET);
  t.teardown(() => { a1.disconnect(); a2.disconnect(); });
  const seen: { cseq: string; callId: string; from: string; auth?: string }[] = [];
  a2.invite(async (req, res) => {
    seen.push({ cseq: req.get('CSeq'), callId: req.get('Call-ID'), from: req.get('From'), auth: req.get('Authorization') });
    if (!req.has('Authorization')) {
      res.send(401, { headers: { 'WWW-Authenticate': 'Digest realm="example.com", nonce="n0nce", algorithm=MD5' } });
      return;
    }
    await a2.createUAS(req, res, { localSdp: SDP });
  });
  const uac = await a1.createUAC(`sip:b@127.0.0.1:${e2.sipPort}`, { localSdp: SDP, auth: { username: 'alice', password: 'secret' } });
  t.equal(seen.length, 2, 'challenged once, then accepted');
  t.same(seen.map((s) => s.cseq), ['1 INVITE', '2 INVITE']);
  t.equal(seen[1].callId, seen[0].callId, 'same Call-ID');
  t.equal(seen[1].from, seen[0].from, 'same From (tag kept)');
  t.match(seen[1].auth ?? '', /^Digest .*username="alice".*realm="example.com"/);
  await uac.destroy();
  t.ok(await waitFor(() => e1.engine.drachtio.stats().dialogs === 0 && e2.engine.drachtio.stats().dialogs === 0));
});

/**
 * Real drachtio-srf apps on the embedded engine, SIPp as the phones: UAS, UAC, B2BUA (BYE from
 * each side, CANCEL, busy, re-INVITE), REGISTER. Every call must complete and the engine must
 * hold no dialogs or transactions for them afterwards.
 */
import t from 'tap';
import type Srf from 'drachtio-srf';
import { freePort } from '../../../helpers/ports';
import { runSipp, startSipp } from '../../../helpers/sipp';
import { connectSrf, installB2bua, installRegistrar, installUas, newCounters, callAndHangUp } from '../../../helpers/srf-apps/apps';
import { SECRET, startEngine, waitFor, type EngineHandle } from '../../../helpers/srf-apps/harness';

let h: EngineHandle;
t.before(async () => {
  h = await startEngine();
});
t.teardown(async () => {
  await h.close();
});

async function withApp<T>(fn: (srf: Srf) => Promise<T>): Promise<T> {
  const srf = await connectSrf(h.drachtioPort, SECRET);
  try {
    return await fn(srf);
  } finally {
    srf.disconnect();
    await waitFor(() => h.engine.drachtio.stats().apps === 0, 5000);
  }
}

function idle(): boolean {
  const s = h.engine.drachtio.stats();
  return s.dialogs === 0 && s.serverTransactions === 0;
}

t.test('UAS app answers SIPp calls (udp and tcp)', async (t) => {
  await withApp(async (srf) => {
    const c = newCounters();
    installUas(srf, c);
    for (const transport of ['u1', 't1']) {
      const r = await runSipp({
        scenario: 'uac-basic.xml', remote: `127.0.0.1:${h.sipPort}`, localPort: await freePort(),
        args: ['-m', '10', '-r', '20', '-t', transport, '-s', 'svc'], timeoutMs: 30000,
      });
      t.equal(r.stats?.successful, 10, `${transport}: all calls complete ${r.errors}`);
      t.equal(r.stats?.failed, 0, `${transport}: no failed call`);
    }
    t.equal(c.answered, 20);
    t.ok(await waitFor(() => c.ended === 20), 'every dialog ended on the caller BYE');
    t.ok(await waitFor(idle), 'no dialogs or server transactions left');
  });
});

t.test('UAC app calls a SIPp UAS (srf.createUAC), hangs up', async (t) => {
  await withApp(async (srf) => {
    const port = await freePort();
    const uas = startSipp({ scenario: 'uas-basic.xml', localPort: port, args: ['-m', '3'], timeoutMs: 30000 });
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 3; i++) {
      const r = await callAndHangUp(srf, `sip:svc@127.0.0.1:${port}`, 50);
      t.ok(r.answered);
    }
    const res = await uas.done;
    t.equal(res.stats?.successful, 3, `SIPp UAS saw 3 complete calls ${res.errors}`);
    t.ok(await waitFor(idle));
  });
});

interface Pair { name: string; uac: string; uas: string; calls: number; expectAnswered: number; tcp?: boolean }
const pairs: Pair[] = [
  { name: 'BYE from caller', uac: 'uac-basic.xml', uas: 'uas-basic.xml', calls: 5, expectAnswered: 5 },
  { name: 'BYE from callee', uac: 'uac-wait-bye.xml', uas: 'uas-hangup.xml', calls: 5, expectAnswered: 5 },
  { name: 'CANCEL before answer', uac: 'uac-cancel.xml', uas: 'uas-ring-cancel.xml', calls: 3, expectAnswered: 0 },
  { name: 'busy callee (486 relayed)', uac: 'uac-busy.xml', uas: 'uas-busy.xml', calls: 3, expectAnswered: 0 },
  { name: 're-INVITE relayed', uac: 'uac-reinvite.xml', uas: 'uas-reinvite.xml', calls: 3, expectAnswered: 3 },
  { name: 'both legs over TCP, BYE from callee', uac: 'uac-wait-bye.xml', uas: 'uas-hangup.xml', calls: 3, expectAnswered: 3, tcp: true },
  { name: 'both legs over TCP, re-INVITE', uac: 'uac-reinvite.xml', uas: 'uas-reinvite.xml', calls: 3, expectAnswered: 3, tcp: true },
];

for (const p of pairs) {
  t.test(`B2BUA: ${p.name}`, async (t) => {
    await withApp(async (srf) => {
      const calleePort = await freePort();
      const c = newCounters();
      const t1 = p.tcp ? ['-t', 't1'] : [];
      installB2bua(srf, `sip:callee@127.0.0.1:${calleePort}${p.tcp ? ';transport=tcp' : ''}`, c);
      const callee = startSipp({ scenario: p.uas, localPort: calleePort, args: ['-m', String(p.calls), ...t1], timeoutMs: 60000 });
      await new Promise((r) => setTimeout(r, 300));
      const caller = await runSipp({
        scenario: p.uac, remote: `127.0.0.1:${h.sipPort}`, localPort: await freePort(),
        args: ['-m', String(p.calls), '-r', '10', '-s', 'svc', ...t1], timeoutMs: 60000,
      });
      const calleeRes = await callee.done;
      t.equal(caller.stats?.successful, p.calls, `caller scenario completes ${caller.errors}`);
      t.equal(caller.stats?.failed, 0);
      t.equal(calleeRes.stats?.successful, p.calls, `callee scenario completes ${calleeRes.errors}`);
      t.equal(c.answered, p.expectAnswered, `answered ${c.errors.join(',')}`);
      if (p.uac === 'uac-reinvite.xml') t.equal(c.reinvites, p.calls, 'each re-INVITE relayed');
      t.ok(await waitFor(idle), 'no dialogs or server transactions left');
    });
  });
}

t.test('srf.register answers REGISTER', async (t) => {
  await withApp(async (srf) => {
    const c = newCounters();
    installRegistrar(srf, c);
    const r = await runSipp({
      scenario: 'uac-register.xml', remote: `127.0.0.1:${h.sipPort}`, localPort: await freePort(),
      args: ['-m', '5', '-r', '10'], timeoutMs: 30000,
    });
    t.equal(r.stats?.successful, 5, r.errors);
    t.equal(c.registers, 5);
  });
});

t.test('no app routed for a method: 503', async (t) => {
  // Nothing connected routes INVITE now: drachtio-server answers 503 in that case.
  const r = await runSipp({
    scenario: 'uac-basic.xml', remote: `127.0.0.1:${h.sipPort}`, localPort: await freePort(),
    args: ['-m', '1', '-t', 'u1'], timeoutMs: 20000,
  });
  t.equal(r.stats?.failed, 1);
  t.ok(h.engine.drachtio.stats().rejectedNoApp >= 1);
});

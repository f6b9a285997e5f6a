/**
 * The engine under abuse: hostile input over UDP and TCP, packet loss on both sides of a
 * B2BUA, and a caller that never ACKs (the engine must BYE and tell the app).
 */
import t from 'tap';
import { connect } from 'node:net';
import { boundUdp, freePort } from '../../../helpers/ports';
import { runSipp, startSipp } from '../../../helpers/sipp';
import { connectSrf, installB2bua, installUas, newCounters } from '../../../helpers/srf-apps/apps';
import { hostileMessages } from '../../../helpers/srf-apps/hostile';
import { SECRET, startEngine, waitFor } from '../../../helpers/srf-apps/harness';

t.test('hostile input over UDP and TCP, then calls still complete', async (t) => {
  const h = await startEngine();
  t.teardown(() => h.close());
  const srf = await connectSrf(h.drachtioPort, SECRET);
  t.teardown(() => srf.disconnect());
  const c = newCounters();
  installUas(srf, c);
  const msgs = hostileMessages(await freePort());
  t.ok(msgs.length >= 30, `${msgs.length} distinct hostile messages`);

  const udp = await boundUdp();
  for (const m of msgs) await new Promise<void>((r) => udp.send(m, h.sipPort, '127.0.0.1', () => r()));
  udp.close();

  let tcpSent = 0;
  for (const m of msgs) {
    await new Promise<void>((resolve) => {
      const s = connect(h.sipPort, '127.0.0.1', () => {
        s.write(m, () => {
          tcpSent++;
          // half-close so messages that wait for more bytes see the end of the stream
          setTimeout(() => s.destroy(), 20);
        });
      });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
  }
  t.equal(tcpSent, msgs.length, 'every TCP message was written');
  t.ok(msgs.length * 2 >= 50, 'at least 50 hostile messages sent in all');
  t.ok(h.engine.sip.stats().malformed > 0, `malformed counted (${h.engine.sip.stats().malformed})`);
  t.equal(c.invites, 0, 'nothing hostile reached the app as a call');

  for (const transport of ['u1', 't1']) {
    const r = await runSipp({
      scenario: 'uac-basic.xml', remote: `127.0.0.1:${h.sipPort}`, localPort: await freePort(),
      args: ['-m', '10', '-r', '20', '-t', transport], timeoutMs: 30000,
    });
    t.equal(r.stats?.successful, 10, `${transport}: calls complete after the abuse ${r.errors}`);
  }
});

t.test('B2BUA with 5% packet loss on both sides: at least 99% of calls complete', async (t) => {
  const h = await startEngine();
  t.teardown(() => h.close());
  const srf = await connectSrf(h.drachtioPort, SECRET);
  t.teardown(() => srf.disconnect());
  const calleePort = await freePort();
  const c = newCounters();
  installB2bua(srf, `sip:callee@127.0.0.1:${calleePort}`, c);
  const calls = 100;
  const callee = startSipp({ scenario: 'uas-basic.xml', localPort: calleePort, args: ['-lost', '5', '-m', String(calls)], timeoutMs: 90000 });
  await new Promise((r) => setTimeout(r, 300));
  const caller = await runSipp({
    scenario: 'uac-basic.xml', remote: `127.0.0.1:${h.sipPort}`, localPort: await freePort(),
    args: ['-lost', '5', '-m', String(calls), '-r', '20'], timeoutMs: 90000,
  });
  callee.child.kill('SIGUSR1');
  const calleeRes = await callee.done;
  const ok = caller.stats?.successful ?? 0;
  t.ok(ok >= 99, `caller: ${ok}/${calls} complete (failed ${caller.stats?.failed}) ${caller.errors.slice(0, 500)}`);
  t.ok((caller.stats?.retransmissions ?? 0) > 0, 'loss really happened (SIPp retransmitted)');
  t.ok(h.engine.sip.stats().retransmissionsSent > 0, 'the engine retransmitted too');
  t.ok((calleeRes.stats?.successful ?? 0) >= 99, `callee: ${calleeRes.stats?.successful} complete ${calleeRes.errors.slice(0, 500)}`);
  // uas-basic.xml answers BYE retransmissions for 2 s after its 200; a B-leg BYE whose 200 is
  // lost beyond that (rare) ends on Timer F (64*T1 = 32 s) and its dialog goes then.
  const left = h.engine.drachtio.stats().dialogs;
  const since = Date.now();
  t.ok(await waitFor(() => h.engine.drachtio.stats().dialogs === 0, 40000), 'no dialog left');
  t.comment(`dialogs left when the callee finished: ${left}, gone after ${Date.now() - since} ms; engine ${JSON.stringify(h.engine.sip.stats())}`);
});

t.test('no ACK for our 200: BYE after 64*T1 and the app is told', async (t) => {
  const h = await startEngine({ t1: 50 });
  t.teardown(() => h.close());
  const srf = await connectSrf(h.drachtioPort, SECRET);
  t.teardown(() => srf.disconnect());
  const c = newCounters();
  installUas(srf, c);
  const r = await runSipp({
    scenario: 'uac-no-ack.xml', remote: `127.0.0.1:${h.sipPort}`, localPort: await freePort(),
    args: ['-m', '1'], timeoutMs: 30000,
  });
  t.equal(r.stats?.successful, 1, `caller got the engine's BYE ${r.errors}`);
  t.ok(await waitFor(() => c.ended === 1), 'the app dialog was destroyed (unsolicited BYE)');
  t.equal(h.engine.drachtio.stats().ackTimeouts, 1);
  t.equal(h.engine.drachtio.stats().dialogs, 0);
  // Bounded memory: once the transactions' own timers (64*T1 here = 3.2 s) have run, nothing is held.
  t.ok(await waitFor(() => h.engine.drachtio.stats().clientTransactions === 0 && h.engine.sip.stats().activeTransactions === 0, 15000),
    'no transaction left in the bridge or the core');
});

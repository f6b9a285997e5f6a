/**
 * `npm run bench:cluster`: the cluster of test/integration/cluster/setup.ts (PostgreSQL, Redis,
 * two nodes, the shipped Kamailio edge, all on loopback) under SIPp load through the edge:
 *  - recorded phone-to-phone calls (4 s each) stepped up (CLUSTER_CPS, default 5,10,20), each
 *    step CLUSTER_STEP_SECONDS (default 10); prints calls, failures and how they spread over the
 *    nodes; the highest rate with zero failed calls;
 *  - REGISTERs (with their 401 challenge) stepped up (CLUSTER_REG, default 50,100,200 per
 *    second) from one phone: every write goes to the same AOR in Redis, the registrar's worst
 *    case (optimistic writes contending on one key); per step the carried rate, and the highest
 *    rate with zero failures carried on time (the registrations/s the Redis registrar sustains).
 * Bounded: at most a few hundred calls and a few thousand REGISTERs, loopback only.
 */
import { UploadServer } from '../test/helpers/upload-server';
import { freePort } from '../test/helpers/ports';
import { runSipp, startSipp } from '../test/helpers/sipp';
import { csv, register, REALM, startCluster } from '../test/integration/cluster/setup';

// An empty list skips that part (e.g. CLUSTER_CPS= to measure REGISTERs only).
const CPS = (process.env.CLUSTER_CPS ?? '5,10,20').split(',').filter((x) => x !== '').map(Number);
const REG = (process.env.CLUSTER_REG ?? '10,20,50,100,200').split(',').filter((x) => x !== '').map(Number);
const SECONDS = Number(process.env.CLUSTER_STEP_SECONDS ?? 10);

async function main(): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  const upload = await UploadServer.start();
  cleanups.push(() => upload.close());
  try {
    const c = await startCluster({ teardown: (fn) => { cleanups.push(fn); } }, { uploadUrl: upload.url, env: { B2BUA_LOG_LEVEL: 'warn' } });
    const [callerPort, calleePort, regPort] = [await freePort(), await freePort(), await freePort()];
    if (await register(c, '2001', calleePort, 'phone-register-natted.xml') !== 0 || await register(c, '1001', callerPort) !== 0) throw new Error('phones did not register');
    const total = CPS.reduce((n, r) => n + r * SECONDS, 0);
    const callee = total === 0 ? undefined : startSipp({ scenario: 'edge-phone-answer.xml', localPort: calleePort, timeoutMs: (CPS.length * (SECONDS + 30)) * 1000, args: ['-m', String(total), '-key', 'rtpport', '9', '-max_socket', '10000'] });
    console.log(`cluster bench: 2 nodes behind Kamailio, PostgreSQL + Redis; ${SECONDS}s per step`);
    console.log('calls/s  calls  ok     failed  node-1  node-2');
    let bestCps = 0;
    for (const [i, rate] of CPS.entries()) {
      const before = await Promise.all([0, 1].map((n) => c.metric(n, 'b2bua_calls_total')));
      const r = await startSipp({
        scenario: 'edge-phone-call.xml', remote: c.edge.target, localPort: callerPort, timeoutMs: (SECONDS + 40) * 1000,
        args: ['-m', String(rate * SECONDS), '-r', String(rate), '-l', String(rate * 8), '-cid_str', `bench${i}-%u@cluster.test`, '-max_socket', '10000',
          '-inf', csv(c.dir, ['1001', REALM, 'pw-1001', '2000', '9']), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', `2000@${REALM}`],
      }).done;
      // The nodes count a call once its BYE is handled: a moment after SIPp's last one.
      await new Promise((res) => setTimeout(res, 1500));
      const after = await Promise.all([0, 1].map((n) => c.metric(n, 'b2bua_calls_total')));
      const ok = r.stats?.successful ?? 0;
      const failed = r.stats?.failed ?? NaN;
      const pass = ok === rate * SECONDS && failed === 0;
      console.log(`${String(rate).padEnd(9)}${String(rate * SECONDS).padEnd(7)}${String(ok).padEnd(7)}${String(failed).padEnd(8)}${String(after[0] - before[0]).padEnd(8)}${after[1] - before[1]}${pass ? '' : '   <- failed step'}`);
      if (!pass) break;
      bestCps = rate;
    }
    callee?.child.kill('SIGTERM');
    console.log(`highest call rate with zero failures: ${bestCps} calls/s`);

    console.log('REGISTER/s  sent   ok     failed  carried/s');
    let bestReg = 0;
    for (const rate of REG) {
      const n = rate * SECONDS;
      const t0 = Date.now();
      const r = await runSipp({
        scenario: 'phone-register.xml', remote: c.edge.target, localPort: regPort, timeoutMs: (SECONDS + 30) * 1000,
        args: ['-m', String(n), '-r', String(rate), '-l', String(rate * 2), '-inf', csv(c.dir, ['1001', REALM, 'pw-1001', '', '0']), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', REALM],
      });
      const ok = r.stats?.successful ?? 0;
      const failed = r.stats?.failed ?? NaN;
      const wall = (Date.now() - t0) / 1000;
      // Carried on time: SIPp done within the step plus 2 s (the last REGISTERs' answers).
      const pass = ok === n && failed === 0 && wall <= SECONDS + 2;
      const why = [...new Set(r.errors.match(/(Aborting|unexpected|Timeout|timeout|[0-9]{3} [A-Z][a-z]+)[^\n]{0,80}/g) ?? [])].slice(0, 3).join(' | ');
      console.log(`${String(rate).padEnd(12)}${String(n).padEnd(7)}${String(ok).padEnd(7)}${String(failed).padEnd(8)}${(ok / wall).toFixed(0)}${pass ? '' : `   <- failed step (${wall.toFixed(1)} s): ${why}`}`);
      if (!pass) break;
      bestReg = rate;
    }
    console.log(`registrations/s the Redis registrar sustained clean through the edge (one AOR, zero failures, on time): ${bestReg}/s`);
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});

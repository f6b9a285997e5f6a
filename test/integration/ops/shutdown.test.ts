/**
 * Graceful shutdown of the real process: `node dist/src/main.js` configured by environment on
 * free loopback ports, SIPp phones making recorded calls, SIGTERM while they are up.
 *  - calls shorter than the drain time finish on their own; a new INVITE meanwhile gets 503;
 *    every recording is uploaded to the test server; exit code 0.
 *  - calls longer than the drain time are hung up by the service (BYE to both phones); their
 *    recordings are still finalized and delivered; exit code 0.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { freePort } from '../../helpers/ports';
import { startSipp, type SippResult } from '../../helpers/sipp';
import { UploadServer } from '../../helpers/upload-server';
import { childEnv, startChild, waitExit, type ChildService } from './fixtures/child-service';
import { sample } from './fixtures/prom-text';
import { inviteStatus } from './fixtures/sip-probe';
import { REALM, csv, metricValue, register, seed, until } from './fixtures/ops-account';

interface Run {
  svc: ChildService;
  e: Awaited<ReturnType<typeof childEnv>>;
  caller: SippResult;
  callee: SippResult;
  probe: number;
  drainingMetrics: string;
  exit: { code: number | null; signal: NodeJS.Signals | null };
}

/** Two calls up, SIGTERM, a probe INVITE, then everything to its end. */
async function callsThenSigterm(upload: UploadServer, callerScenario: string, env: Record<string, string>): Promise<Run> {
  const e = await childEnv(env);
  await seed(e.env.B2BUA_STORE__PATH, upload.url);
  const svc = await startChild(e);
  try {
    const target = `127.0.0.1:${svc.sipPort}`;
    const [callerPort, calleePort] = [await freePort(), await freePort()];
    await register(target, '1001', callerPort);
    await register(target, '2001', calleePort);
    const callee = startSipp({ scenario: 'rec-phone-answer.xml', localPort: calleePort, timeoutMs: 60_000, args: ['-m', '2', '-key', 'rtpport', '9'] });
    const caller = startSipp({
      scenario: callerScenario, remote: target, localPort: callerPort, timeoutMs: 60_000,
      args: ['-m', '2', '-l', '2', '-r', '10', '-inf', csv(['1001', REALM, 'pw-1001', '2000', '9']), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', `2000@${REALM}`],
    });
    // Both calls answered (rec-phone-answer rings 1 s first).
    await until('two calls up', async () => (await metricValue(svc.apiUrl, 'b2bua_active_calls')) === 2, 20_000);
    // Past the callee's 1 s of ringing: both calls talking.
    await new Promise((r) => setTimeout(r, 1500));
    svc.child.kill('SIGTERM');
    // The signal is handled asynchronously: probe once the service says it is draining.
    await until('draining', () => Promise.resolve(svc.output().includes('"to":"draining"')), 5000);
    const probe = await inviteStatus('127.0.0.1', svc.sipPort, { user: '1001', realm: REALM, number: '2000' });
    // The API (and /metrics) stays up while calls drain.
    const drainingMetrics = await (await fetch(`${svc.apiUrl}/metrics`)).text();
    const exit = await waitExit(svc, 60_000);
    const [c, d] = await Promise.all([caller.done, callee.done]);
    return { svc, e, caller: c, callee: d, probe, drainingMetrics, exit };
  } catch (err) {
    svc.child.kill('SIGKILL');
    throw err;
  }
}

let upload: UploadServer;
t.before(async () => { upload = await UploadServer.start(); });
t.teardown(() => upload?.close());

function recordingsOf(): { callId: string; bytes: number; complete: boolean }[] {
  return upload.delivered().map((u) => ({ callId: u.query.call_id ?? '', bytes: u.body.length, complete: u.complete }));
}

t.test('SIGTERM with calls shorter than the drain time: they finish, new INVITE 503, recordings uploaded, exit 0', async (t) => {
  const before = upload.delivered().length;
  const run = await callsThenSigterm(upload, 'rec-phone-call.xml', { B2BUA_SERVICE__SHUTDOWN__DRAIN_SEC: '30', B2BUA_SERVICE__SHUTDOWN__UPLOAD_GRACE_SEC: '15' });
  t.equal(run.probe, 503, 'a new INVITE while draining gets 503');
  t.same(run.exit, { code: 0, signal: null }, 'exit code 0');
  t.equal(run.caller.code, 0, `callers hung up themselves after talking: ${run.caller.errors}`);
  t.equal(run.caller.stats?.successful, 2, 'both calls completed normally');
  t.equal(run.callee.code, 0, `callee: ${run.callee.errors}`);
  const recs = recordingsOf().slice(before);
  t.equal(recs.length, 2, 'two recordings uploaded before the exit');
  t.equal(new Set(recs.map((r) => r.callId)).size, 2, 'one per call');
  t.ok(recs.every((r) => r.complete && r.bytes > 44), 'complete files with audio data');
  t.match(run.svc.output(), /"callsCut":0/, 'no call was cut');
  t.match(run.svc.output(), /"rejectedInvites":1/, 'the probe was the one refused INVITE');
  t.equal(sample(run.drainingMetrics, 'b2bua_draining'), 1, '/metrics shows the drain');
  t.equal(sample(run.drainingMetrics, 'b2bua_invites_refused_total', { reason: 'draining' }), 1, 'and the refused INVITE');
  t.equal(sample(run.drainingMetrics, 'b2bua_active_calls'), 2, 'with both calls still up');
});

t.test('SIGTERM with calls longer than the drain time: hung up after it, recordings still delivered, exit 0', async (t) => {
  const before = upload.delivered().length;
  const run = await callsThenSigterm(upload, 'phone-call-wait-bye.xml', { B2BUA_SERVICE__SHUTDOWN__DRAIN_SEC: '2', B2BUA_SERVICE__SHUTDOWN__UPLOAD_GRACE_SEC: '15' });
  t.equal(run.probe, 503, 'a new INVITE while draining gets 503');
  t.same(run.exit, { code: 0, signal: null }, 'exit code 0');
  t.equal(run.caller.code, 0, `callers got the service's BYE: ${run.caller.errors}`);
  t.equal(run.callee.code, 0, `callee got the service's BYE: ${run.callee.errors}`);
  const recs = recordingsOf().slice(before);
  t.equal(recs.length, 2, 'two recordings uploaded before the exit');
  t.ok(recs.every((r) => r.complete && r.bytes > 44), 'complete files with audio data');
  t.match(run.svc.output(), /"callsCut":2/, 'both calls were cut by the drain limit');
});

t.test('SIGTERM while the upload server is down: the recordings wait in the durable queue and go out after the restart', async (t) => {
  const before = upload.delivered().length;
  await upload.down();
  let run: Run;
  try {
    run = await callsThenSigterm(upload, 'rec-phone-call.xml', { B2BUA_SERVICE__SHUTDOWN__DRAIN_SEC: '30', B2BUA_SERVICE__SHUTDOWN__UPLOAD_GRACE_SEC: '2' });
  } finally {
    await upload.up();
  }
  t.same(run.exit, { code: 0, signal: null }, 'exit code 0 although nothing could be uploaded');
  t.equal(upload.delivered().length, before, 'nothing was delivered');
  const metaDir = join(run.e.dir, 'spool', 'meta');
  const queued = readdirSync(metaDir).filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(metaDir, f), 'utf8')) as { status: string; meta: { callId: string } });
  t.equal(queued.length, 2, 'both recordings are in the durable queue on disk');
  t.ok(queued.every((q) => q.status !== 'uploaded' && q.status !== 'failed'), `still to be delivered (${queued.map((q) => q.status).join(', ')})`);

  // The next start replays the queue.
  const again = await startChild(run.e);
  try {
    await upload.waitFor(() => upload.delivered().length >= before + 2, 30_000, 'the replayed uploads');
    const ids = upload.delivered().slice(before).map((u) => u.query.call_id);
    t.same(ids.sort(), queued.map((q) => q.meta.callId).sort(), 'the queued recordings were delivered after the restart');
    again.child.kill('SIGTERM');
    t.same(await waitExit(again, 60_000), { code: 0, signal: null }, 'the second run exits 0 too');
  } catch (err) {
    again.child.kill('SIGKILL');
    throw err;
  }
});

/**
 * The GracefulShutdown sequence on its own, against a scripted target (calls that end after a
 * number of looks, uploads that drain): which calls are cut, what is left queued, the order of
 * the steps, the INVITE gate, idempotence. Outcomes only; no timing is asserted. Then with the
 * real delivery queue: an upload waiting out a backoff past the grace does not hold the stop.
 */
import pino from 'pino';
import t from 'tap';
import { DeliveryStatus, type DeliveryQueue, type DeliveryRecord } from '../../../src/delivery';
import { GracefulShutdown, ShutdownState, queueUploads, type ShutdownTarget } from '../../../src/service/shutdown';
import { Admission, Refusal } from '../../../src/service/admission';
import { gateProbe } from '../../helpers/admission';
import { UploadServer } from '../../helpers/upload-server';
import { makeRecording, meta, startQueue, testConfig, workDirs } from '../delivery/common';

const log = pino({ level: 'silent' });

interface Script {
  calls: number[];
  /** Uploads in flight or due within the grace, one value per look. */
  uploads: number[];
  /** Uploads queued in all (default: the last due count looked at). */
  queued?: number;
}

/** A target whose counters follow a script, one value per look; the last value repeats. */
function scripted(s: Script, steps: string[], dueAsked: number[] = []): ShutdownTarget {
  let c = 0;
  let u = 0;
  let last = 0;
  let hungUp = false;
  return {
    activeCalls: () => (hungUp ? 0 : s.calls[Math.min(c++, s.calls.length - 1)]),
    uploadsDue: (epochMs) => {
      dueAsked.push(epochMs);
      last = s.uploads[Math.min(u++, s.uploads.length - 1)] ?? 0;
      return last;
    },
    uploadsQueued: () => s.queued ?? last,
    hangUpAll: async () => { steps.push('hangUpAll'); hungUp = true; },
    closeAll: async () => { steps.push('closeAll'); },
    refusedInvites: () => 0,
  };
}

const cases: { name: string; script: Script; drainSec: number; graceSec: number; cut: number; left: number }[] = [
  { name: 'calls end within the drain time', script: { calls: [2, 2, 1, 0], uploads: [0] }, drainSec: 5, graceSec: 5, cut: 0, left: 0 },
  { name: 'no call at all', script: { calls: [0], uploads: [0] }, drainSec: 5, graceSec: 5, cut: 0, left: 0 },
  { name: 'drain time 0 cuts every call', script: { calls: [3], uploads: [0] }, drainSec: 0, graceSec: 0, cut: 3, left: 0 },
  { name: 'uploads drain within the grace', script: { calls: [0], uploads: [2, 1, 0, 0] }, drainSec: 1, graceSec: 5, cut: 0, left: 0 },
  { name: 'uploads still queued after a zero grace stay queued', script: { calls: [0], uploads: [4] }, drainSec: 1, graceSec: 0, cut: 0, left: 4 },
  // A 10-minute grace: waiting for uploads that are not due within it would time the test out.
  { name: 'uploads queued but not due within the grace do not hold the stop', script: { calls: [0], uploads: [0], queued: 3 }, drainSec: 1, graceSec: 600, cut: 0, left: 3 },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const steps: string[] = [];
    const dueAsked: number[] = [];
    const t0 = Date.now();
    const s = new GracefulShutdown(scripted(c.script, steps, dueAsked), { drainSec: c.drainSec, uploadGraceSec: c.graceSec, pollMs: 5 }, log);
    t.equal(s.state, ShutdownState.Running);
    t.equal(s.accepting, true);
    const p = s.run('test');
    t.equal(s.accepting, false, 'refusing calls from the first moment');
    t.equal(s.run('again'), p, 'idempotent: the same promise');
    const report = await p;
    t.same(report, { reason: 'test', callsCut: c.cut, uploadsLeftQueued: c.left, rejectedInvites: 0 });
    t.same(steps, ['hangUpAll', 'closeAll'], 'remaining calls hung up before the parts are closed');
    t.equal(s.state, ShutdownState.Done);
    t.ok(dueAsked.length > 0 && dueAsked.every((at) => at >= t0 + c.graceSec * 1000 && at <= Date.now() + c.graceSec * 1000), 'asked for uploads due by the end of the grace');
  });
}

t.test('the INVITE gate while draining', async (t) => {
  const seen: string[] = [];
  let admission: Admission | undefined;
  const target = { ...scripted({ calls: [1], uploads: [0] }, []), refusedInvites: () => admission?.refused(Refusal.Draining) ?? -1 };
  const s = new GracefulShutdown(target, { drainSec: 0, uploadGraceSec: 0, pollMs: 5 }, log, { state: (st) => seen.push(st) });
  admission = new Admission({ draining: () => !s.accepting, activeCalls: () => 0, recorderOverloaded: () => false }, 0, (r) => seen.push(`refused ${r}`));
  const gate = gateProbe(admission);
  t.equal(gate.invite('INVITE', true), true, 'running: a new INVITE passes');
  t.equal(gate.options(), 200, 'running: OPTIONS (an edge proxy\'s probe) answered 200');
  const done = s.run('test');
  t.equal(gate.options(), 503, 'draining: OPTIONS answered 503, the edge sends no new calls');
  const table: [string, boolean, boolean][] = [
    ['INVITE', true, false],
    ['INVITE', false, true], // re-INVITE inside a call in progress
    ['BYE', false, true],
    ['REGISTER', false, true],
  ];
  for (const [method, isNew, passes] of table) t.equal(gate.invite(method, isNew), passes, `draining: ${method}${isNew ? ' (new)' : ''} ${passes ? 'passes' : 'refused'}`);
  t.same(gate.sent.filter((r) => r.status === 503), [{ status: 503, headers: { 'Retry-After': '30' } }, { status: 503, headers: { 'Retry-After': '30' } }], 'the OPTIONS and the INVITE: 503 with Retry-After (RFC 3261 21.5.4)');
  t.equal((await done).rejectedInvites, 1, 'counted in the report');
  t.equal(gate.invite('INVITE', true), false, 'still refused once closed');
  t.same(seen, ['draining', 'refused draining', 'flushing', 'closing', 'done', 'refused draining'], 'observers see every state and refusal');
});

/** Polls the queue until `pred` holds for the record; rejects after 10 s. */
async function until(q: DeliveryQueue, id: string, pred: (r: DeliveryRecord) => boolean): Promise<DeliveryRecord> {
  const end = Date.now() + 10_000;
  for (;;) {
    const r = q.get(id);
    if (r && pred(r)) return r;
    if (Date.now() > end) throw new Error(`record ${id}: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** The real queue and uploader: one recording refused once, retried after `backoffMs` (jitter pinned to its ceiling). */
async function refusedOnce(t: { teardown(fn: () => unknown): void }, backoffMs: number): Promise<{ q: DeliveryQueue; id: string; upload: UploadServer }> {
  const upload = await UploadServer.start();
  t.teardown(() => upload.close());
  upload.failNext(1, 503);
  const { spool, src } = await workDirs();
  const q = await startQueue(testConfig(spool, { backoffBaseMs: backoffMs, backoffMaxMs: backoffMs }), { rand: () => 1 });
  t.teardown(() => q.close());
  const file = await makeRecording(src, 2000);
  const { id } = await q.enqueue({ filePath: file.path, meta: meta(`${upload.url}/rec`) });
  await until(q, id, (r) => r.status === DeliveryStatus.Pending && r.attempts === 1);
  return { q, id, upload };
}

function shutdownOf(q: DeliveryQueue, uploadGraceSec: number): GracefulShutdown {
  return new GracefulShutdown({
    activeCalls: () => 0, ...queueUploads(() => q), hangUpAll: async () => {}, closeAll: () => q.close(), refusedInvites: () => 0,
  }, { drainSec: 1, uploadGraceSec }, log);
}

t.test('real queue: an upload waiting out a backoff past the grace does not hold the stop', async (t) => {
  const graceSec = 20;
  const { q, id, upload } = await refusedOnce(t, 120_000);
  t.ok((q.get(id)?.nextAttemptAt ?? 0) > Date.now() + graceSec * 1000, 'next attempt after the grace');
  const t0 = Date.now();
  const report = await shutdownOf(q, graceSec).run('test');
  t.equal(report.uploadsLeftQueued, 1, 'reported as left queued');
  t.equal(q.get(id)?.status, DeliveryStatus.Pending, 'still pending: kept for the next start');
  t.equal(q.dueBy(Date.now()), 0, 'nothing in flight');
  t.equal(upload.requests.length, 1, 'no second attempt was made');
  t.ok(Date.now() - t0 < (graceSec * 1000) / 2, `closed without waiting out the grace (${Date.now() - t0} ms)`);
});

t.test('real queue: an upload due within the grace is waited for and delivered', async (t) => {
  const { q, id, upload } = await refusedOnce(t, 300);
  const report = await shutdownOf(q, 20).run('test');
  t.equal(report.uploadsLeftQueued, 0);
  t.equal(q.get(id)?.status, DeliveryStatus.Uploaded, 'the retry ran before the close');
  t.equal(upload.delivered().length, 1);
});

/**
 * The GracefulShutdown sequence on its own, against a scripted target (calls that end after a
 * number of looks, uploads that drain): which calls are cut, what is left queued, the order of
 * the steps, the INVITE gate, idempotence. Outcomes only; no timing is asserted.
 */
import type Srf from 'drachtio-srf';
import pino from 'pino';
import t from 'tap';
import { GracefulShutdown, ShutdownState, type ShutdownTarget } from '../../../src/service/shutdown';

const log = pino({ level: 'silent' });

interface Script {
  calls: number[];
  uploads: number[];
}

/** A target whose counters follow a script, one value per look; the last value repeats. */
function scripted(s: Script, steps: string[]): ShutdownTarget {
  let c = 0;
  let u = 0;
  let hungUp = false;
  return {
    activeCalls: () => (hungUp ? 0 : s.calls[Math.min(c++, s.calls.length - 1)]),
    uploadsInFlight: () => s.uploads[Math.min(u++, s.uploads.length - 1)],
    hangUpAll: async () => { steps.push('hangUpAll'); hungUp = true; },
    closeAll: async () => { steps.push('closeAll'); },
  };
}

const cases: { name: string; script: Script; drainSec: number; graceSec: number; cut: number; left: number }[] = [
  { name: 'calls end within the drain time', script: { calls: [2, 2, 1, 0], uploads: [0] }, drainSec: 5, graceSec: 5, cut: 0, left: 0 },
  { name: 'no call at all', script: { calls: [0], uploads: [0] }, drainSec: 5, graceSec: 5, cut: 0, left: 0 },
  { name: 'drain time 0 cuts every call', script: { calls: [3], uploads: [0] }, drainSec: 0, graceSec: 0, cut: 3, left: 0 },
  { name: 'uploads drain within the grace', script: { calls: [0], uploads: [2, 1, 0, 0] }, drainSec: 1, graceSec: 5, cut: 0, left: 0 },
  { name: 'uploads still queued after a zero grace stay queued', script: { calls: [0], uploads: [4] }, drainSec: 1, graceSec: 0, cut: 0, left: 4 },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const steps: string[] = [];
    const s = new GracefulShutdown(scripted(c.script, steps), { drainSec: c.drainSec, uploadGraceSec: c.graceSec, pollMs: 5 }, log);
    t.equal(s.state, ShutdownState.Running);
    t.equal(s.accepting, true);
    const p = s.run('test');
    t.equal(s.accepting, false, 'refusing calls from the first moment');
    t.equal(s.run('again'), p, 'idempotent: the same promise');
    const report = await p;
    t.same(report, { reason: 'test', callsCut: c.cut, uploadsLeftQueued: c.left, rejectedInvites: 0 });
    t.same(steps, ['hangUpAll', 'closeAll'], 'remaining calls hung up before the parts are closed');
    t.equal(s.state, ShutdownState.Done);
  });
}

t.test('the INVITE gate', async (t) => {
  const seen: string[] = [];
  const s = new GracefulShutdown(scripted({ calls: [1], uploads: [0] }, []), { drainSec: 0, uploadGraceSec: 0, pollMs: 5 }, log, {
    state: (st) => seen.push(st),
    refused: () => seen.push('refused'),
  });
  const gate = s.inviteGate();
  const sent: { status: number; headers?: Record<string, string> }[] = [];
  const through = (method: string, isNewInvite: boolean): boolean => {
    let next = false;
    const req = { method, isNewInvite } as unknown as Srf.SrfRequest;
    const res = { send: (status: number, o?: { headers?: Record<string, string> }) => { sent.push({ status, ...(o?.headers ? { headers: o.headers } : {}) }); } } as unknown as Srf.SrfResponse;
    gate(req, res, () => { next = true; });
    return next;
  };
  t.equal(through('INVITE', true), true, 'running: a new INVITE passes');
  const done = s.run('test');
  const table: [string, boolean, boolean][] = [
    ['INVITE', true, false],
    ['INVITE', false, true], // re-INVITE inside a call in progress
    ['BYE', false, true],
    ['REGISTER', false, true],
  ];
  for (const [method, isNew, passes] of table) t.equal(through(method, isNew), passes, `draining: ${method}${isNew ? ' (new)' : ''} ${passes ? 'passes' : 'refused'}`);
  t.same(sent, [{ status: 503, headers: { 'Retry-After': '30' } }], 'one 503 with Retry-After (RFC 3261 21.5.4)');
  t.equal((await done).rejectedInvites, 1, 'counted in the report');
  t.equal(through('INVITE', true), false, 'still refused once closed');
  t.same(seen, ['draining', 'refused', 'flushing', 'closing', 'done', 'refused'], 'observer sees every state and refusal');
});

/**
 * Admission (src/service/admission.ts): which reason refuses a new call, in which order, with
 * which Retry-After; in-dialog requests always pass; OPTIONS answers 503 while draining or
 * overloaded, not for maxCalls.
 */
import t from 'tap';
import { Admission, Refusal } from '../../../src/service/admission';
import { gateProbe } from '../../helpers/admission';

interface Row {
  draining: boolean;
  calls: number;
  maxCalls: number;
  overloaded: boolean;
  want: Refusal | undefined;
  retryAfter?: string;
  /** What OPTIONS is told (maxCalls is not: room comes back with the next hang-up). */
  probe: 200 | 503;
  probeRetryAfter?: string;
}

const rows: Row[] = [
  { draining: false, calls: 0, maxCalls: 0, overloaded: false, want: undefined, probe: 200 },
  { draining: false, calls: 5000, maxCalls: 0, overloaded: false, want: undefined, probe: 200 }, // 0 = no limit
  { draining: false, calls: 9, maxCalls: 10, overloaded: false, want: undefined, probe: 200 },
  { draining: false, calls: 10, maxCalls: 10, overloaded: false, want: Refusal.MaxCalls, retryAfter: '5', probe: 200 },
  { draining: false, calls: 11, maxCalls: 10, overloaded: false, want: Refusal.MaxCalls, retryAfter: '5', probe: 200 },
  { draining: false, calls: 0, maxCalls: 0, overloaded: true, want: Refusal.RecorderOverload, retryAfter: '10', probe: 503, probeRetryAfter: '10' },
  { draining: false, calls: 10, maxCalls: 10, overloaded: true, want: Refusal.MaxCalls, retryAfter: '5', probe: 503, probeRetryAfter: '10' },
  { draining: true, calls: 10, maxCalls: 10, overloaded: true, want: Refusal.Draining, retryAfter: '30', probe: 503, probeRetryAfter: '30' },
  { draining: true, calls: 0, maxCalls: 0, overloaded: false, want: Refusal.Draining, retryAfter: '30', probe: 503, probeRetryAfter: '30' },
];

t.test('the first reason that holds refuses, with its Retry-After', async (t) => {
  for (const r of rows) {
    const name = JSON.stringify(r);
    const refusedWith: Refusal[] = [];
    const a = new Admission({ draining: () => r.draining, activeCalls: () => r.calls, recorderOverloaded: () => r.overloaded }, r.maxCalls, (x) => refusedWith.push(x));
    t.equal(a.refusal(), r.want, `${name}: refusal`);
    const gate = gateProbe(a);
    t.equal(gate.invite('INVITE', true), r.want === undefined, `${name}: a new INVITE ${r.want === undefined ? 'passes' : 'is answered here'}`);
    t.equal(gate.invite('INVITE', false), true, `${name}: a re-INVITE of a call in progress passes`);
    t.equal(gate.invite('BYE', false), true, `${name}: BYE passes`);
    t.equal(gate.options(), r.probe, `${name}: OPTIONS`);
    const refusals = gate.sent.filter((s) => s.status === 503);
    const want = [...(r.want === undefined ? [] : [r.retryAfter]), ...(r.probe === 503 ? [r.probeRetryAfter] : [])];
    t.same(refusals.map((s) => s.headers?.['Retry-After']), want, `${name}: 503s with Retry-After`);
    t.same(refusedWith, r.want === undefined ? [] : [r.want], `${name}: the refused INVITE counted once, OPTIONS not`);
    if (r.want !== undefined) t.equal(a.refused(r.want), 1, `${name}: count by reason`);
  }
});

t.test('a refusal lasts only while its reason does', async (t) => {
  let overloaded = true;
  const a = new Admission({ draining: () => false, activeCalls: () => 0, recorderOverloaded: () => overloaded }, 0);
  const gate = gateProbe(a);
  t.equal(gate.invite('INVITE', true), false, 'overloaded: refused');
  overloaded = false;
  t.equal(gate.invite('INVITE', true), true, 'no longer: taken');
  t.equal(a.refused(Refusal.RecorderOverload), 1);
  t.equal(a.refused(Refusal.MaxCalls), 0);
});

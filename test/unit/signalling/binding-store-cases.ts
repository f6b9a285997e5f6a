/**
 * One contract for every BindingStore: memory and SQLite run it in
 * binding-store-contract.test.ts, Redis in test/integration/state. `nowMs` is passed in, so
 * stores must judge expiry by it (times here are small numbers, not the wall clock).
 */
import type { Test } from 'tap';
import type { Binding } from '../../../src/signalling/registrar/bindings';
import type { BindingStore, ExpiredBindings } from '../../../src/signalling/registrar/binding-store';

/** A fresh, empty store that can be swept on demand. */
export type Factory = (onExpired: (c: ExpiredBindings) => void) => Promise<BindingStore & { sweep(nowMs: number): number | Promise<number> }>;

export const mk = (aor: string, acc: string, dev: string, exp: number, extra: Partial<Binding> = {}): Binding => ({
  aor, contact: `sip:${aor}`, key: `${aor}/${extra.contact ?? ''}`, callId: 'c', cseq: 1, expiresAt: exp, registeredAt: 0, updatedAt: 0,
  received: { address: '1.1.1.1', port: 1, transport: 'udp' }, accountId: acc, deviceId: dev, username: 'u', realm: 'r', ...extra,
});

export const aors = (bs: Binding[]): string[] => bs.map((b) => b.aor).sort();

export function bindingStoreContract(t: Test, name: string, factoryOf: (t: Test) => Factory): void {
  t.test(`${name}: reads, expiry, sweep, delete`, async (t) => {
    const expired: string[] = [];
    const s = await factoryOf(t)((changes) => { for (const c of changes) expired.push(`${c.aor}:${c.remaining.length}`); });
    t.teardown(() => s.close());
    const r = await s.update('a@r', 0, (cur) => ({ bindings: [...cur, mk('a@r', 'A', 'd1', 1000)], result: cur.length }));
    t.equal(r, 0, 'fn saw no binding and its result is returned');
    await s.update('b@r', 0, () => ({ bindings: [mk('b@r', 'B', 'd2', 5000)], result: null }));
    await s.update('c@r', 0, () => ({ bindings: [mk('c@r', 'B', 'd3', 5000)], result: null }));
    t.equal((await s.get('a@r', 999)).length, 1);
    t.equal((await s.get('a@r', 1000)).length, 0, 'expired is invisible at its expiry');
    t.same(aors(await s.listByAccount('B', 10)), ['b@r', 'c@r']);
    t.same(aors(await s.listByDevice('d1', 10)), ['a@r']);
    t.same(await s.listByDevice('d1', 1000), [], 'listByDevice filters expired');
    t.same(aors(await s.listByAccount('A', 1000)), [], 'listByAccount filters expired');
    t.equal(await s.count(2000), 2);
    t.equal(await s.sweep(2000), 1);
    t.same(expired, ['a@r:0'], 'expiry reported per AOR');
    t.equal(await s.sweep(2000), 0);
    t.same(expired, ['a@r:0'], 'nothing more to report');
    await s.update('b@r', 0, () => ({ bindings: [], result: null }));
    t.equal(await s.count(0), 1, 'empty array deletes the AOR');
  });

  t.test(`${name}: whole bindings in write order; null keeps; a throwing fn writes nothing`, async (t) => {
    const s = await factoryOf(t)(() => undefined);
    t.teardown(() => s.close());
    const full = mk('a@r', 'A', 'd1', 9000, {
      contact: 'sip:a@10.0.0.9:5062', ownerId: 'u1', userAgent: 'UA/1', instanceId: 'urn:uuid:abc', regId: '1', q: 0.7,
      received: { address: '192.0.2.1', port: 40123, transport: 'tcp' },
    });
    const second = mk('a@r', 'A', 'd1', 8000, { contact: 'sip:a@10.0.0.8' });
    await s.update('a@r', 0, () => ({ bindings: [full, second], result: null }));
    t.same(await s.get('a@r', 0), [full, second], 'every field back, in write order');
    await s.update('a@r', 0, () => ({ bindings: [second, full], result: null }));
    t.same(await s.get('a@r', 0), [second, full], 'reordered by a rewrite');
    t.equal(await s.update('a@r', 0, () => ({ bindings: null, result: 'kept' })), 'kept');
    t.equal((await s.get('a@r', 0)).length, 2, 'null leaves the bindings as they were');
    await t.rejects(s.update('a@r', 0, () => { throw new Error('plan failed'); }), /plan failed/);
    t.same(await s.get('a@r', 0), [second, full], 'nothing written by a failed update');
  });

  t.test(`${name}: concurrent updates of one AOR both land`, async (t) => {
    const s = await factoryOf(t)(() => undefined);
    t.teardown(() => s.close());
    const add = (contact: string): Promise<number> =>
      s.update('a@r', 0, (cur) => ({ bindings: [...cur, mk('a@r', 'A', 'd1', 9000, { contact })], result: cur.length }));
    const seen = await Promise.all([add('sip:1'), add('sip:2'), add('sip:3')]);
    t.same(seen.sort(), [0, 1, 2], 'each update saw the previous ones');
    t.equal((await s.get('a@r', 0)).length, 3);
  });
}


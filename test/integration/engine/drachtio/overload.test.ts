/**
 * Overload bounds of the embedded engine (issue 11, defect 7): one source flooding large INVITEs
 * over UDP that are never answered nor ACKed holds at most `maxPendingInvitesPerSource` server
 * transactions, the rest get 503 with Retry-After (RFC 3261 21.5.4) and leave nothing behind;
 * a second source is still served; all sources together stay under `maxServerTransactions`.
 * Counts come from the engine's own counters; the waits are bounds, not assertions on time.
 */
import t from 'tap';
import type Srf from 'drachtio-srf';
import { connectSrf } from '../../../helpers/srf-apps/apps';
import { SECRET, startEngine, waitFor, type EngineHandle } from '../../../helpers/srf-apps/harness';
import { RawPeer, isRes, makeStack, rawRequest } from '../sip/fixtures/peer';
import { createResponse, type SipMessage } from '../../../../src/engine/sip';

const PER_SOURCE = 40;
const TOTAL = 100;
/** A large SDP-like body: the flood's requests are ~30 KB each (64 KiB is the parser's limit). */
const BODY = `v=0\r\n${'a=x-pad:'.padEnd(1000, 'x')}\r\n`.repeat(30);

let h: EngineHandle;
let srf: Srf;
t.before(async () => {
  h = await startEngine({ maxPendingInvitesPerSource: PER_SOURCE, maxServerTransactions: TOTAL });
  srf = await connectSrf(h.drachtioPort, SECRET);
  // The flooding source is never answered (its INVITEs stay in Proceeding); others get 486.
  srf.invite((req, res) => { if (req.source_address !== '127.0.0.1') res.send(486); });
});
t.teardown(async () => {
  srf.disconnect();
  await h.close();
});

/** Sends `n` requests in batches, each batch only once every earlier request had its first response (no kernel drops). */
async function flood(peer: RawPeer, method: string, n: number, body = ''): Promise<void> {
  const first = (m: SipMessage): boolean => m.kind === 'response' && (m.status === 100 || m.status >= 300);
  for (let sent = 0; sent < n;) {
    for (let i = 0; i < 10 && sent < n; i++, sent++) peer.send(rawRequest(method, peer.port, h.sipPort, { body }), h.sipPort);
    const answered = (): number => new Set(peer.received.filter(first).map((m) => m.get('call-id'))).size;
    if (!await waitFor(() => answered() >= sent, 10000)) throw new Error(`only ${answered()} of ${sent} requests answered`);
  }
}

t.test('one source flooding large unanswered INVITEs holds at most its share; another source is served', async (t) => {
  const a = await RawPeer.create('127.0.0.1');
  const b = await RawPeer.create('127.0.0.2');
  t.teardown(() => { a.close(); b.close(); });
  const N = 120;
  await flood(a, 'INVITE', N, BODY);
  const sip = h.engine.sip;
  t.equal(sip.pendingInvitesFrom('127.0.0.1'), PER_SOURCE, 'pending INVITEs from the flooding source = the per-source cap');
  t.equal(sip.stats().serverTransactionsActive, PER_SOURCE, 'the engine holds no other transaction for it');
  t.equal(sip.stats().refusedSourceLimit, N - PER_SOURCE, 'every other INVITE refused');
  t.equal(h.engine.drachtio.stats().serverTransactions, PER_SOURCE, 'only the admitted ones reached the app');
  const refused = a.received.filter(isRes(503, 'INVITE'));
  t.equal(refused.length, N - PER_SOURCE, '503 for each refused INVITE');
  t.ok(refused.every((m) => m.get('retry-after') === '5' && /;tag=/.test(m.get('to') ?? '')), '503s carry Retry-After and a To tag');
  t.equal(a.count(isRes(100, 'INVITE')), PER_SOURCE, '100 Trying only for the admitted ones');

  b.send(rawRequest('INVITE', b.port, h.sipPort, { body: BODY }), h.sipPort);
  await b.waitFor(isRes(486, 'INVITE'), 10000);
  t.pass('a second source still reaches the app and gets its answer');
  t.equal(sip.pendingInvitesFrom('127.0.0.2'), 1, 'its INVITE counted for its own source (486 not yet ACKed)');
});

t.test('all sources together stay under maxServerTransactions', async (t) => {
  const c = await RawPeer.create('127.0.0.3');
  t.teardown(() => c.close());
  const sip = h.engine.sip;
  const before = sip.stats().serverTransactionsActive;
  const N = 80;
  // OPTIONS: no app routes it, the engine answers 503 and keeps the transaction 64*T1 (Timer J).
  await flood(c, 'OPTIONS', N);
  t.equal(sip.stats().serverTransactionsActive, TOTAL, 'held transactions = the global cap');
  t.equal(sip.stats().refusedTotalLimit, N - (TOTAL - before), 'the rest refused');
  t.equal(c.received.filter((m) => m.kind === 'response' && m.status === 503 && m.get('retry-after') === '5').length, N - (TOTAL - before),
    'with 503 and Retry-After');
});

t.test('an answered request keeps only its identity headers, no body', async (t) => {
  const { stack, port } = await makeStack(['udp']);
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  const kept: { headers: number; body: number }[] = [];
  stack.on('request', (req, _ctx, tx) => {
    if (!tx) return;
    t.equal(tx.request.body.length, BODY.length, 'the TU gets the whole request while it is unanswered');
    tx.respond(createResponse(req, 486));
    kept.push({ headers: tx.request.headers.size, body: tx.request.body.length });
  });
  peer.send(rawRequest('INVITE', peer.port, port, { body: BODY }), port);
  await peer.waitFor(isRes(486, 'INVITE'));
  t.same(kept, [{ headers: 5, body: 0 }], 'Via, From, To, Call-ID, CSeq kept; body released');
  t.equal(stack.stats().serverTransactionsActive, 1, 'the transaction itself lives on (Timer H)');
});

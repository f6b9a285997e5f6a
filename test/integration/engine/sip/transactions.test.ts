import t from 'tap';
import { createResponse, SipRequest, TxState, newTag, newCallId, SipTransactionError, type SipResponse, type ServerTransaction } from '../../../../src/engine/sip';
import { RawPeer, makeStack, rawRequest, rawResponse, isReq, isRes, delay, onceWithin, T } from './fixtures/peer';

function invite(peerPort: number, extra: [string, string][] = []): SipRequest {
  return new SipRequest('INVITE', `sip:peer@127.0.0.1:${peerPort}`, [
    ['From', `<sip:stack@127.0.0.1>;tag=${newTag()}`], ['To', '<sip:peer@127.0.0.1>'], ['Call-ID', newCallId()], ['CSeq', '1 INVITE'], ...extra,
  ]);
}

t.test('INVITE client over UDP: Timer A retransmissions until Timer B', async (t) => {
  const { stack } = await makeStack();
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  const tx = stack.sendRequest(invite(peer.port));
  await onceWithin(tx, 'timeout', 5000);
  await delay(50); // let the last datagram arrive
  const n = peer.count(isReq('INVITE'));
  // A fires at T1, 2T1, 4T1... (uncapped): sends at 0,1,3,7,15,31,63 T1 before B at 64 T1.
  t.ok(n >= 5 && n <= 7, `INVITE sent ${n} times`); // late timers on a loaded box may lose the last one
  t.equal(stack.stats().retransmissionsSent, n - 1);
  t.equal(tx.state, TxState.Terminated);
  t.equal(stack.stats().activeTransactions, 0);
});

t.test('non-INVITE client over UDP: Timer E capped at T2 until Timer F', async (t) => {
  const { stack } = await makeStack();
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  const req = invite(peer.port);
  req.method = 'OPTIONS';
  req.headers.set('CSeq', '1 OPTIONS');
  const tx = stack.sendRequest(req);
  await onceWithin(tx, 'timeout', 5000);
  const n = peer.count(isReq('OPTIONS'));
  // capped at T2: ~33 sends in 64*T1; uncapped doubling would give only 7
  t.ok(n >= 12 && n <= 34, `OPTIONS sent ${n} times`);
  t.equal(tx.state, TxState.Terminated);
});

t.test('non-INVITE client: provisional then final; retransmitted final absorbed', async (t) => {
  const { stack } = await makeStack();
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  const req = invite(peer.port);
  req.method = 'MESSAGE';
  req.headers.set('CSeq', '1 MESSAGE');
  const tx = stack.sendRequest(req);
  const statuses: number[] = [];
  tx.on('response', (r: SipResponse) => statuses.push(r.status));
  const got = (await peer.waitFor(isReq('MESSAGE'))) as SipRequest;
  t.match(got.get('via'), /^SIP\/2.0\/UDP 127.0.0.1:\d+;branch=z9hG4bK[0-9a-f]{24};rport$/);
  t.equal(got.get('max-forwards'), '70');
  peer.send(rawResponse(got, 100, 'Trying'), stack.listeners()[0].port);
  peer.send(rawResponse(got, 200, 'OK'), stack.listeners()[0].port);
  peer.send(rawResponse(got, 200, 'OK'), stack.listeners()[0].port);
  await onceWithin(tx, 'terminated', 3000);
  t.same(statuses, [100, 200]);
  t.equal(stack.stats().retransmissionsAbsorbed, 1);
});

t.test('INVITE server: 100 Trying, retransmission absorbed, non-2xx retransmitted (Timer G) until ACK', async (t) => {
  const { stack, port } = await makeStack();
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  const requests: string[] = [];
  let stx: ServerTransaction | null = null;
  stack.on('request', (req, _ctx, tx) => { requests.push(req.method); stx = tx; });
  const text = rawRequest('INVITE', peer.port, port, { branch: 'z9hG4bKg1', callId: 'g1' });
  peer.send(text, port);
  const trying = await peer.waitFor(isRes(100));
  t.match(trying.get('via'), /;rport=\d+;received=127\.0\.0\.1$/, 'rport and received stamped (RFC 3581)');
  peer.send(text, port);
  await peer.waitFor(isRes(100), 2000, 1);
  t.same(requests, ['INVITE'], 'retransmission not passed up');
  t.ok(stx);
  const tx = stx as unknown as ServerTransaction;
  tx.respond(createResponse(tx.request, 486));
  await peer.waitFor(isRes(486), 2000, 3);
  t.equal(tx.state, TxState.Completed);
  const busy = (await peer.waitFor(isRes(486))) as SipResponse;
  const toTag = /tag=([^;]+)/.exec(busy.get('to') ?? '')?.[1];
  peer.send(rawRequest('ACK', peer.port, port, { branch: 'z9hG4bKg1', callId: 'g1', toTag }), port);
  await onceWithin(tx, 'terminated', 3000);
  const after = peer.count(isRes(486));
  await delay(3 * T.t2);
  t.equal(peer.count(isRes(486)), after, 'no retransmission after ACK');
  t.same(requests, ['INVITE'], 'ACK absorbed by the transaction');
});

t.test('INVITE server: Timer H fires without ACK', async (t) => {
  const { stack, port } = await makeStack();
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  const txp = new Promise<ServerTransaction>((resolve) => stack.on('request', (req, _c, tx) => {
    if (tx) { tx.respond(createResponse(req, 603)); resolve(tx); }
  }));
  peer.send(rawRequest('INVITE', peer.port, port), port);
  const tx = await txp;
  await onceWithin(tx, 'timeout', 5000);
  await delay(50);
  const n = peer.count(isRes(603));
  // G: T1, then T2 each: ~33 sends within 64*T1 (uncapped doubling would give 7)
  t.ok(n >= 12 && n <= 34, `603 sent ${n} times`);
  t.equal(tx.state, TxState.Terminated);
  t.equal(stack.stats().activeTransactions, 0);
});

t.test('INVITE server 2xx: retransmitted until ACK, ACK matched by dialog and not passed as request', async (t) => {
  const { stack, port } = await makeStack();
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  const seen: string[] = [];
  let acked = 0;
  stack.on('request', (req, _c, tx) => {
    seen.push(req.method);
    if (tx && req.method === 'INVITE') {
      tx.on('ack', () => acked++);
      tx.respond(createResponse(req, 200, undefined, 'uas1'));
    }
  });
  peer.send(rawRequest('INVITE', peer.port, port, { callId: 'ok1', cseq: 5 }), port);
  await peer.waitFor(isRes(200), 3000, 2);
  peer.send(rawRequest('ACK', peer.port, port, { callId: 'ok1', cseq: 5, toTag: 'uas1' }), port);
  await delay(50);
  const n = peer.count(isRes(200));
  await delay(3 * T.t2);
  t.equal(peer.count(isRes(200)), n, '2xx retransmission stopped by the ACK');
  t.equal(acked, 1);
  t.same(seen, ['INVITE']);
  // a stray ACK (no dialog) goes up with tx === null
  let nullTx = false;
  stack.on('request', (req, _c, tx) => { if (req.method === 'ACK' && tx === null) nullTx = true; });
  peer.send(rawRequest('ACK', peer.port, port, { callId: 'nothing', toTag: 'zz' }), port);
  await delay(100);
  t.ok(nullTx, 'stray ACK emitted with null transaction');
});

t.test('INVITE server 2xx without ACK: ackTimeout after 64*T1', async (t) => {
  const { stack, port } = await makeStack();
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  const p = new Promise<ServerTransaction>((resolve) => stack.on('request', (req, _c, tx) => {
    if (tx) { tx.respond(createResponse(req, 200)); resolve(tx); }
  }));
  peer.send(rawRequest('INVITE', peer.port, port), port);
  const tx = await p;
  await onceWithin(tx, 'ackTimeout', 5000);
  const n = peer.count(isRes(200));
  t.ok(n >= 12 && n <= 34, `2xx sent ${n} times (T1 doubling capped at T2)`);
  t.equal(tx.state, TxState.Terminated);
});

t.test('CANCEL: 200 to CANCEL, 487 to INVITE, cancel event; unmatched CANCEL gets 481', async (t) => {
  const { stack, port } = await makeStack();
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  const methods: string[] = [];
  const txp = new Promise<ServerTransaction>((resolve) => stack.on('request', (req, _c, tx) => {
    methods.push(req.method);
    if (tx && req.method === 'INVITE') { tx.respond(createResponse(req, 180, undefined, 'ring1')); resolve(tx); }
  }));
  peer.send(rawRequest('INVITE', peer.port, port, { branch: 'z9hG4bKc1', callId: 'c1' }), port);
  const tx = await txp;
  const cancelled = onceWithin(tx, 'cancel', 3000);
  peer.send(rawRequest('CANCEL', peer.port, port, { branch: 'z9hG4bKc1', callId: 'c1' }), port);
  await cancelled;
  const ok = await peer.waitFor(isRes(200, 'CANCEL'));
  const term = await peer.waitFor(isRes(487, 'INVITE'));
  t.match(ok.get('to'), /tag=ring1/);
  t.match(term.get('to'), /tag=ring1/, '487 keeps the To tag of the 180');
  t.same(methods, ['INVITE'], 'CANCEL not emitted as request');
  peer.send(rawRequest('CANCEL', peer.port, port, { branch: 'z9hG4bKnone', callId: 'c2' }), port);
  await peer.waitFor(isRes(481, 'CANCEL'));
  t.pass('481 for unmatched CANCEL');
});

t.test('INVITE client: non-2xx ACKed by the transaction, retransmitted final absorbed; 2xx retransmissions passed up', async (t) => {
  const { stack, port } = await makeStack();
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  const tx = stack.sendRequest(invite(peer.port));
  const statuses: number[] = [];
  tx.on('response', (r: SipResponse) => statuses.push(r.status));
  const inv = (await peer.waitFor(isReq('INVITE'))) as SipRequest;
  peer.send(rawResponse(inv, 486, 'Busy Here', 'b1'), port);
  const ack = (await peer.waitFor(isReq('ACK'))) as SipRequest;
  t.equal(ack.get('via'), inv.get('via'), 'ACK reuses the INVITE branch (RFC 3261 17.1.1.3)');
  t.match(ack.get('to'), /tag=b1/);
  t.equal(ack.get('cseq'), '1 ACK');
  peer.send(rawResponse(inv, 486, 'Busy Here', 'b1'), port);
  await peer.waitFor(isReq('ACK'), 2000, 1);
  t.same(statuses, [486]);

  const req2 = invite(peer.port, [['Subject', 'until final']]);
  req2.body = Buffer.from('v=0\r\n');
  const tx2 = stack.sendRequest(req2);
  const st2: number[] = [];
  const seenByTu: (string | undefined)[] = [];
  tx2.on('response', (r: SipResponse) => { st2.push(r.status); seenByTu.push(tx2.request.get('subject')); });
  const inv2 = (await peer.waitFor(isReq('INVITE'), 2000, 1)) as SipRequest;
  peer.send(rawResponse(inv2, 200, 'OK', 'ok2'), port);
  peer.send(rawResponse(inv2, 200, 'OK', 'ok2'), port);
  await delay(100);
  t.same(st2, [200, 200], 'each 2xx reaches the TU in Accepted (RFC 6026)');
  t.equal(tx2.state, TxState.Accepted);
  t.equal(peer.count(isReq('ACK')), 2, 'no ACK generated for 2xx by the transaction');
  t.same(seenByTu, ['until final', undefined], 'the TU sees the whole request with the first final response');
  t.equal(tx2.request.body.length, 0, 'then only its identity is kept while Timer M runs');
  t.equal(tx2.request.get('call-id'), inv2.get('call-id'));
  t.equal(tx2.request.uri, inv2.uri);
});

t.test('client CANCEL waits for a provisional, then completes', async (t) => {
  const { stack, port } = await makeStack();
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  const tx = stack.sendRequest(invite(peer.port, [['Route', `<sip:127.0.0.1:${peer.port};lr>`]]));
  const inv = (await peer.waitFor(isReq('INVITE'))) as SipRequest;
  const p = tx.cancel([['Reason', 'SIP;cause=487']]);
  await delay(60);
  t.equal(peer.count(isReq('CANCEL')), 0, 'no CANCEL before a provisional');
  peer.send(rawResponse(inv, 180, 'Ringing', 'r1'), port);
  const cancel = (await peer.waitFor(isReq('CANCEL'))) as SipRequest;
  t.equal(cancel.get('via'), inv.get('via'));
  t.equal(cancel.get('cseq'), '1 CANCEL');
  t.equal(cancel.get('to'), inv.get('to'));
  t.equal(cancel.get('route'), inv.get('route'));
  t.equal(cancel.get('reason'), 'SIP;cause=487');
  peer.send(rawResponse(cancel, 200, 'OK', 'r1'), port);
  peer.send(rawResponse(inv, 487, 'Request Terminated', 'r1'), port);
  const res = await p;
  t.equal(res.status, 200);
  await peer.waitFor(isReq('ACK'));
  await t.rejects(tx.cancel(), SipTransactionError);
});

t.test('TCP: no retransmissions and zero timers J/K/D/I', async (t) => {
  const a = await makeStack();
  const b = await makeStack();
  t.teardown(async () => { await a.stack.close(); await b.stack.close(); });
  a.stack.on('request', (req, _c, tx) => {
    if (!tx) return;
    tx.respond(createResponse(req, req.method === 'INVITE' ? 486 : 200));
    if (req.method !== 'INVITE') t.equal(tx.state, TxState.Terminated, 'Timer J zero over TCP');
  });
  const opt = new SipRequest('OPTIONS', `sip:a@127.0.0.1:${a.port};transport=tcp`, [
    ['From', `<sip:b@x>;tag=${newTag()}`], ['To', '<sip:a@x>'], ['Call-ID', newCallId()], ['CSeq', '1 OPTIONS'],
  ]);
  const otx = b.stack.sendRequest(opt);
  const [r] = await onceWithin<[SipResponse]>(otx, 'response');
  t.equal(r.status, 200);
  await onceWithin(otx, 'terminated', 1000).catch(() => undefined);
  t.equal(otx.state, TxState.Terminated, 'Timer K zero over TCP');
  const inv = invite(a.port);
  inv.uri = `sip:a@127.0.0.1:${a.port};transport=tcp`;
  const itx = b.stack.sendRequest(inv);
  const statuses: number[] = [];
  itx.on('response', (x: SipResponse) => statuses.push(x.status));
  await onceWithin(itx, 'terminated', 2000);
  t.same(statuses, [100, 486]);
  await delay(50);
  t.equal(a.stack.stats().activeTransactions, 0, 'Timer I zero over TCP: server INVITE gone after the ACK');
  t.equal(a.stack.stats().retransmissionsSent + b.stack.stats().retransmissionsSent, 0);
});

t.test('non-INVITE request the TU never answers is dropped after 64*T1', async (t) => {
  const { stack, port } = await makeStack();
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  const txp = new Promise<ServerTransaction>((resolve) => stack.on('request', (_req, _c, tx) => { if (tx) resolve(tx); }));
  peer.send(rawRequest('OPTIONS', peer.port, port), port);
  const tx = await txp;
  t.equal(stack.stats().activeTransactions, 1);
  await onceWithin(tx, 'timeout', 5000);
  t.equal(stack.stats().activeTransactions, 0);
  t.equal(peer.count((m) => m.kind === 'response'), 0, 'nothing sent for it');
});

t.test('throwing TU handlers never crash the stack', async (t) => {
  const { stack, port } = await makeStack();
  const peer = await RawPeer.create();
  t.teardown(async () => { peer.close(); await stack.close(); });
  let calls = 0;
  stack.on('request', (req, _c, tx) => {
    calls++;
    if (calls === 1) throw new Error('handler bug');
    tx?.respond(createResponse(req, 200));
  });
  peer.send(rawRequest('OPTIONS', peer.port, port), port);
  peer.send(rawRequest('OPTIONS', peer.port, port), port);
  await peer.waitFor(isRes(200, 'OPTIONS'));
  t.equal(calls, 2, 'second request handled after the first handler threw');
  const req = invite(peer.port);
  req.method = 'MESSAGE';
  req.headers.set('CSeq', '1 MESSAGE');
  const tx = stack.sendRequest(req);
  tx.on('timeout', () => { throw new Error('timeout handler bug'); });
  await onceWithin(tx, 'terminated', 5000);
  t.equal(tx.state, TxState.Terminated, 'Timer F still terminated the transaction');
});

import t from 'tap';
import { connect, createServer } from 'node:net';
import { SipRequest, SipStack, createResponse, parseVia, type ServerTransaction, newCallId, newTag, type SipResponse } from '../../../../src/engine/sip';
import { freePort } from '../../../helpers/ports';
import { RawPeer, makeStack, rawRequest, isRes, delay, onceWithin } from './fixtures/peer';

function options(uri: string): SipRequest {
  return new SipRequest('OPTIONS', uri, [['From', `<sip:b@x>;tag=${newTag()}`], ['To', '<sip:a@x>'], ['Call-ID', newCallId()], ['CSeq', '1 OPTIONS']]);
}

t.test('TCP: requests to one host:port reuse the connection; responses come back on it; idle connections close', async (t) => {
  const port = await freePort();
  const a = new SipStack({ listen: [{ host: '127.0.0.1', port, transports: ['tcp'] }], t1: 20, t2: 80, t4: 100, maxMessageBytes: 65535, maxHeaders: 64, tcpIdleTimeoutMs: 1000 });
  await a.start();
  const b = await makeStack(['tcp']);
  t.teardown(async () => { await a.close(); await b.stack.close(); });
  const sources: string[] = [];
  a.on('request', (req, ctx, tx) => { sources.push(`${ctx.source.address}:${ctx.source.port}`); tx?.respond(createResponse(req, 200)); });
  for (let i = 0; i < 3; i++) {
    const tx = b.stack.sendRequest(options(`sip:a@127.0.0.1:${port};transport=tcp`));
    const [res] = await onceWithin<[SipResponse]>(tx, 'response');
    t.equal(res.status, 200);
  }
  t.equal(new Set(sources).size, 1, 'one connection for three requests');
  t.equal(a.stats().tcpConnections, 1);
  t.equal(b.stack.stats().tcpConnections, 1);
  // idle cleanup: A closes after 1 s without traffic
  for (let i = 0; i < 60 && a.stats().tcpConnections > 0; i++) await delay(100);
  t.equal(a.stats().tcpConnections, 0, 'idle connection closed');
  for (let i = 0; i < 20 && b.stack.stats().tcpConnections > 0; i++) await delay(50);
  t.equal(b.stack.stats().tcpConnections, 0, 'peer saw the close');
  // and a new request opens a fresh one
  const tx = b.stack.sendRequest(options(`sip:a@127.0.0.1:${port};transport=tcp`));
  const [res] = await onceWithin<[SipResponse]>(tx, 'response');
  t.equal(res.status, 200);
});

t.test('UDP responses follow RFC 3261 18.2.2 / RFC 3581: Via port without rport, source port with rport', async (t) => {
  const { stack, port } = await makeStack(['udp']);
  const sender = await RawPeer.create();
  const viaTarget = await RawPeer.create();
  t.teardown(async () => { sender.close(); viaTarget.close(); await stack.close(); });
  stack.on('request', (req, _c, tx) => tx?.respond(createResponse(req, 200)));
  // Via names viaTarget's port and no rport: the response goes there, not to the source port.
  const noRport = rawRequest('OPTIONS', viaTarget.port, port).replace(';rport', '');
  sender.send(noRport, port);
  const r1 = await viaTarget.waitFor(isRes(200));
  t.equal(r1.get('via')?.includes('received'), false, 'no received= when sent-by host is the source address');
  t.equal(sender.count(isRes(200)), 0);
  // With rport the response goes to the source address and port.
  sender.send(rawRequest('OPTIONS', viaTarget.port, port), port);
  const r2 = await sender.waitFor(isRes(200));
  t.match(r2.get('via'), new RegExp(`rport=${sender.port};received=127.0.0.1`));
  // sent-by host differing from the source: received= is added (RFC 3261 18.2.1)
  sender.send(rawRequest('OPTIONS', sender.port, port).replace('Via: SIP/2.0/UDP 127.0.0.1', 'Via: SIP/2.0/UDP host.invalid'), port);
  const r3 = await sender.waitFor(isRes(200), 3000, 1);
  const v3 = parseVia(r3.get('via') ?? '');
  t.equal(v3?.host, 'host.invalid');
  t.equal(v3?.received, '127.0.0.1');
  t.equal(v3?.rport, sender.port);
});

t.test('sendRequest routing: loose Route wins over the Request-URI; stateless send resolves its destination', async (t) => {
  const { stack } = await makeStack(['udp']);
  const routePeer = await RawPeer.create();
  t.teardown(async () => { routePeer.close(); await stack.close(); });
  const req = options('sip:nobody@127.0.0.1:9');
  req.headers.append('Route', `<sip:127.0.0.1:${routePeer.port};lr>`);
  const tx = stack.sendRequest(req);
  const dest = await tx.destination;
  t.same(dest, { transport: 'udp', address: '127.0.0.1', port: routePeer.port });
  await routePeer.waitFor((m) => m.kind === 'request' && m.method === 'OPTIONS');
  tx.terminate();
  const ack = new SipRequest('ACK', `sip:x@127.0.0.1:${routePeer.port}`, [['From', '<sip:a@b>;tag=1'], ['To', '<sip:c@d>;tag=2'], ['Call-ID', 'ack1'], ['CSeq', '1 ACK']]);
  const d2 = await stack.sendStateless(ack);
  t.equal(d2.port, routePeer.port);
  const got = await routePeer.waitFor((m) => m.kind === 'request' && m.method === 'ACK');
  t.match(got.get('via'), /branch=z9hG4bK/);
  t.equal(got.get('max-forwards'), '70');
  const bad = stack.sendRequest(options('mailto:nobody'));
  const [err] = await onceWithin<[Error]>(bad, 'transportError');
  t.equal((err as Error & { code: string }).code, 'ERR_SIP_RESOLVE');
});

t.test('start() rejects on a port in use and close() is idempotent', async (t) => {
  const { stack, port } = await makeStack(['udp', 'tcp']);
  const clash = new SipStack({ listen: [{ host: '127.0.0.1', port, transports: ['udp'] }], t1: 20, t2: 80, t4: 100, maxMessageBytes: 65535, maxHeaders: 64 });
  await t.rejects(clash.start());
  await clash.close();
  t.same(stack.listeners().map((l) => `${l.transport}:${l.port}`), [`udp:${port}`, `tcp:${port}`]);
  t.same(stack.advertised('tcp'), { host: '127.0.0.1', port });
  await stack.close();
  await stack.close();
  t.pass('closed twice');
});

t.test('TCP response after the request connection closed goes to a new connection at sent-by (RFC 3261 18.2.2)', async (t) => {
  const { stack, port } = await makeStack(['tcp']);
  const sentByPort = await freePort();
  const received: string[] = [];
  const server = createServer((s) => s.on('data', (d) => received.push(d.toString())));
  await new Promise<void>((r) => server.listen(sentByPort, '127.0.0.1', () => r()));
  t.teardown(async () => { await stack.close(); await new Promise<void>((r) => server.close(() => r())); });
  const gotRequest = new Promise<ServerTransaction>((resolve) => stack.on('request', (_req, _c, tx) => { if (tx) resolve(tx); }));
  const client = connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => client.on('connect', () => r()));
  client.write([
    `OPTIONS sip:svc@127.0.0.1:${port};transport=tcp SIP/2.0`, `Via: SIP/2.0/TCP 127.0.0.1:${sentByPort};branch=z9hG4bKtcpfb`,
    'From: <sip:a@127.0.0.1>;tag=1', 'To: <sip:svc@127.0.0.1>', 'Call-ID: tcp-fallback', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
  ].join('\r\n'));
  const tx = await gotRequest;
  client.destroy();
  for (let i = 0; i < 40 && stack.stats().tcpConnections > 0; i++) await delay(25);
  t.equal(stack.stats().tcpConnections, 0, 'request connection gone');
  tx.respond(createResponse(tx.request, 200));
  for (let i = 0; i < 100 && !received.join('').includes('\r\n\r\n'); i++) await delay(25);
  t.match(received.join(''), /^SIP\/2.0 200 OK\r\n/, 'response arrived on a new connection to the sent-by port');
});

t.test('IPv6 loopback: UDP and TCP listeners, bracketed Via, requests both ways', async (t) => {
  const stacks: SipStack[] = [];
  const make = async (): Promise<{ s: SipStack; port: number }> => {
    for (let i = 0; ; i++) {
      const port = await freePort();
      const s = new SipStack({ listen: [{ host: '::1', port, transports: ['udp', 'tcp'] }], t1: 20, t2: 40, t4: 100, maxMessageBytes: 65535, maxHeaders: 64 });
      try {
        await s.start();
        stacks.push(s);
        return { s, port };
      } catch (err) {
        await s.close();
        if (i >= 4) throw err;
      }
    }
  };
  let a: { s: SipStack; port: number };
  let b: { s: SipStack; port: number };
  try {
    a = await make();
    b = await make();
  } catch {
    t.comment('no IPv6 loopback on this machine: skipped');
    return;
  }
  t.teardown(async () => { for (const s of stacks) await s.close(); });
  const vias: string[] = [];
  a.s.on('request', (req, _c, tx) => { vias.push(req.get('via') ?? ''); tx?.respond(createResponse(req, 200)); });
  for (const tp of ['udp', 'tcp']) {
    const tx = b.s.sendRequest(options(`sip:a@[::1]:${a.port};transport=${tp}`));
    const [res] = await onceWithin<[SipResponse]>(tx, 'response');
    t.equal(res.status, 200, `${tp} over IPv6`);
  }
  t.match(vias[0], new RegExp(`^SIP/2.0/UDP \\[::1\\]:${b.port};branch=`));
  t.equal(parseVia(vias[1])?.received, '::1');
});

t.test('sendRequest over a transport without a listener reports transportError', async (t) => {
  const { stack } = await makeStack(['udp']);
  t.teardown(() => stack.close());
  const tx = stack.sendRequest(options('sip:a@127.0.0.1:9;transport=tcp'));
  const [err] = await onceWithin<[Error]>(tx, 'transportError');
  t.equal((err as Error & { code: string }).code, 'ERR_SIP_NO_TRANSPORT');
  t.equal(stack.stats().activeTransactions, 0);
});

t.test('TCP slow-drip peer is cut off when a started message does not complete in time', async (t) => {
  const port = await freePort();
  const stack = new SipStack({
    listen: [{ host: '127.0.0.1', port, transports: ['tcp'] }], t1: 20, t2: 40, t4: 100, maxMessageBytes: 65535, maxHeaders: 64,
    tcpPartialMessageTimeoutMs: 300,
  });
  await stack.start();
  t.teardown(() => stack.close());
  const sock = connect({ host: '127.0.0.1', port });
  sock.on('error', () => undefined);
  const closed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    sock.on('close', () => { clearTimeout(timer); resolve(true); });
  });
  await new Promise<void>((r) => sock.on('connect', () => r()));
  // one byte every 100 ms keeps the idle timer happy but never completes the message
  const drip = setInterval(() => { if (!sock.destroyed) sock.write('X'); }, 100);
  sock.write('OPTIONS sip:x@y SIP/2.0\r\n');
  const ok = await closed;
  clearInterval(drip);
  t.ok(ok, 'connection closed by the stack');
});

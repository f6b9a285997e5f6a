import t from 'tap';
import { createSocket } from 'node:dgram';
import { RtpEndpoint } from '../../helpers/rtp';
import { freePort } from '../../helpers/ports';
import {
  CallMedia, MediaServer, RtpengineError, RtpengineProcess, RtpengineTimeout,
  isHold, parseSdp,
} from '../../../src/media';
import { log, phoneSdp, testMediaConfig } from './setup';

const WAIT = 5000;

function rtpPort(sdp: string): number {
  return parseSdp(sdp).media[0].port;
}

t.test('real rtpengine: anchor, fork, transcode, delete', async (t) => {
  const cfg = await testMediaConfig();
  const proc = new RtpengineProcess(cfg.local, log);
  await proc.start();
  const server = new MediaServer([proc.ngTarget], cfg.commandTimeoutMs, log);
  const endpoints: RtpEndpoint[] = [];
  const open = async (): Promise<RtpEndpoint> => {
    const e = await RtpEndpoint.open();
    endpoints.push(e);
    return e;
  };
  t.teardown(async () => {
    for (const e of endpoints) e.close();
    server.close();
    await proc.close();
  });

  await t.test('ping', async (t) => {
    await server.ping();
    t.pass('pong');
  });

  let callNo = 0;
  const anchoredCall = async (codec: 'PCMU' | 'G722') => {
    const a = await open();
    const b = await open();
    const callId = `media-test-${process.pid}-${++callNo}`;
    const cm = new CallMedia(server, callId, `caller-${callNo}`, log);
    const toCallee = await cm.offerFromCaller(phoneSdp(a.port, codec));
    const toCaller = await cm.answerFromCallee(phoneSdp(b.port, codec), `callee-${callNo}`);
    return { a, b, cm, callId, callerSends: rtpPort(toCaller), calleeSends: rtpPort(toCallee), toCallee, toCaller };
  };

  await t.test('offer/answer: RTP flows both ways through rtpengine', async (t) => {
    const c = await anchoredCall('PCMU');
    t.not(c.callerSends, c.a.port, 'caller is given an rtpengine port, not the callee');
    t.ok(c.callerSends >= cfg.local.portMin && c.callerSends <= cfg.local.portMax, 'port from configured range');
    t.match(c.toCallee, /c=IN IP4 127\.0\.0\.1/);
    const sending = Promise.all([
      c.a.sendStream({ host: '127.0.0.1', port: c.callerSends, payloadType: 0, ssrc: 0x1111, fill: 0x11, count: 15 }),
      c.b.sendStream({ host: '127.0.0.1', port: c.calleeSends, payloadType: 0, ssrc: 0x2222, fill: 0x22, count: 15 }),
    ]);
    const atB = await c.b.waitFor((r) => r.length >= 10, WAIT);
    const atA = await c.a.waitFor((r) => r.length >= 10, WAIT);
    t.ok(atB.every((p) => p.ssrc === 0x1111 && p.payload[0] === 0x11 && p.payloadType === 0), 'callee gets caller audio');
    t.ok(atA.every((p) => p.ssrc === 0x2222 && p.payload[0] === 0x22 && p.payloadType === 0), 'caller gets callee audio');
    await sending;
    const stats = await c.cm.stats();
    t.ok(stats.caller.packets >= 10 && stats.callee.packets >= 10, `rtpengine counted both parties (${JSON.stringify(stats)})`);

    const q = await server.query(c.callId);
    t.same(Object.keys(q.tags ?? {}).sort(), ['callee-1', 'caller-1'], 'query lists both monologues');

    await t.test('re-offer for hold and resume', async (t) => {
      const held = await c.cm.reoffer('caller', phoneSdp(c.a.port, 'PCMU', 'sendonly'));
      t.ok(isHold(parseSdp(held)), 'callee sees hold');
      const heldAnswer = await c.cm.reanswer('caller', phoneSdp(c.b.port, 'PCMU', 'recvonly'));
      t.equal(parseSdp(heldAnswer).media[0].direction, 'recvonly');
      const resumed = await c.cm.reoffer('caller', phoneSdp(c.a.port, 'PCMU', 'sendrecv'));
      t.notOk(isHold(parseSdp(resumed)), 'callee sees resume');
      await c.cm.reanswer('caller', phoneSdp(c.b.port, 'PCMU', 'sendrecv'));
    });

    await t.test('fork: one stream per participant, SSRC and payload passed through', async (t) => {
      const r1 = await open();
      const r2 = await open();
      const fork = await c.cm.fork({ host: '127.0.0.1', ports: [r1.port, r2.port] });
      t.equal(fork.streams.length, 2, 'two m-lines');
      t.same(fork.streams.map((s) => s.participant).sort(), ['callee', 'caller']);
      t.equal(fork.transcoded, false, 'PCMU is not transcoded');
      const callerSock = fork.streams.find((s) => s.participant === 'caller')?.port === r1.port ? r1 : r2;
      const calleeSock = callerSock === r1 ? r2 : r1;
      void c.a.sendStream({ host: '127.0.0.1', port: c.callerSends, payloadType: 0, ssrc: 0x1111, fill: 0x11, count: 15, firstSequence: 2000 });
      void c.b.sendStream({ host: '127.0.0.1', port: c.calleeSends, payloadType: 0, ssrc: 0x2222, fill: 0x22, count: 15, firstSequence: 3000 });
      const fromCaller = await callerSock.waitFor((r) => r.length >= 10, WAIT);
      const fromCallee = await calleeSock.waitFor((r) => r.length >= 10, WAIT);
      t.ok(fromCaller.every((p) => p.ssrc === 0x1111 && p.payload.every((x) => x === 0x11) && p.payloadType === 0), 'caller stream on its port');
      t.ok(fromCallee.every((p) => p.ssrc === 0x2222 && p.payload.every((x) => x === 0x22) && p.payloadType === 0), 'callee stream on its port');
      t.same(fromCaller.slice(0, 3).map((p) => p.sequence), [2000, 2001, 2002], 'sequence numbers passed through');
      await fork.close();
      await fork.close();
      t.pass('unsubscribe idempotent');
    });

    await t.test('a fork that cannot be answered is unsubscribed again', async (t) => {
      const r1 = await open();
      await t.rejects(c.cm.fork({ host: '127.0.0.1', ports: [r1.port] }), { code: 'SDP_INVALID' });
      const q = await server.query(c.callId);
      const subscribers = Object.values(q.tags ?? {}).flatMap((tag) => (tag as { subscribers?: Array<{ type?: string }> }).subscribers ?? []);
      t.same(subscribers.filter((x) => x.type === 'pub/sub'), [], 'no pub/sub subscriber left');
    });

    await t.test('delete: call gone, close idempotent', async (t) => {
      let closed = 0;
      c.cm.on('closed', () => closed++);
      await Promise.all([c.cm.close(), c.cm.close()]);
      t.equal(closed, 1);
      await t.rejects(server.query(c.callId), RtpengineError, 'query after delete is refused');
    });
  });

  await t.test('fork of a G722 call is transcoded to PCMA', async (t) => {
    const c = await anchoredCall('G722');
    const r1 = await open();
    const r2 = await open();
    const fork = await c.cm.fork({ host: '127.0.0.1', ports: [r1.port, r2.port] });
    t.equal(fork.transcoded, true);
    t.ok(fork.streams.every((s) => s.codec.encoding === 'PCMA' && s.transcode));
    void c.a.sendStream({ host: '127.0.0.1', port: c.callerSends, payloadType: 9, ssrc: 0x3333, fill: 0x55, count: 25 });
    void c.b.sendStream({ host: '127.0.0.1', port: c.calleeSends, payloadType: 9, ssrc: 0x4444, fill: 0x66, count: 25 });
    const got1 = await r1.waitFor((r) => r.length >= 10, WAIT);
    const got2 = await r2.waitFor((r) => r.length >= 10, WAIT);
    t.ok(got1.every((p) => p.payloadType === 8 && p.payload.length === 160), 'stream 1 is PCMA 20 ms');
    t.ok(got2.every((p) => p.payloadType === 8 && p.payload.length === 160), 'stream 2 is PCMA 20 ms');
    const atB = await c.b.waitFor((r) => r.length >= 10, WAIT);
    t.ok(atB.every((p) => p.payloadType === 9 && p.ssrc === 0x3333), 'the call itself stays G722');
    await c.cm.close();
  });

  await t.test('late offer: callee offers in its 2xx, caller answers in the ACK', async (t) => {
    const a = await open();
    const b = await open();
    const cm = new CallMedia(server, `late-${process.pid}`, 'late-caller', log);
    const toCaller = await cm.offerFromCallee(phoneSdp(b.port, 'PCMU'), 'late-callee');
    const toCallee = await cm.answerFromCaller(phoneSdp(a.port, 'PCMU'));
    t.equal(cm.currentState, 'active');
    const sending = a.sendStream({ host: '127.0.0.1', port: rtpPort(toCaller), payloadType: 0, ssrc: 0x5555, fill: 0x77, count: 12 });
    const atB = await b.waitFor((r) => r.length >= 8, WAIT);
    t.ok(atB.every((p) => p.ssrc === 0x5555 && p.payload[0] === 0x77), 'caller audio reaches the callee');
    void b.sendStream({ host: '127.0.0.1', port: rtpPort(toCallee), payloadType: 0, ssrc: 0x6666, fill: 0x78, count: 12 });
    const atA = await a.waitFor((r) => r.length >= 8, WAIT);
    t.ok(atA.every((p) => p.ssrc === 0x6666 && p.payload[0] === 0x78), 'callee audio reaches the caller');
    await sending;
    await cm.close();
  });

  await t.test('offer fails over from a silent instance to a live one', async (t) => {
    const silent = createSocket('udp4');
    const silentPort = await freePort();
    await new Promise<void>((r) => silent.bind(silentPort, '127.0.0.1', () => r()));
    const two = new MediaServer([{ host: '127.0.0.1', port: silentPort }, proc.ngTarget], 300, log);
    t.teardown(() => {
      two.close();
      silent.close();
    });
    let callId = '';
    for (let i = 0; callId === ''; i++) if (two.hashIndex(`fo-${i}`) === 0) callId = `fo-${i}`;
    const a = await open();
    const out = await two.offer({ callId, fromTag: 'x', sdp: phoneSdp(a.port, 'PCMU') });
    t.match(out.sdp, /m=audio \d+ RTP\/AVP 0/);
    t.same(two.instanceOf(callId), proc.ngTarget, 'the call sticks to the live instance');
    await two.delete({ callId });
  });
});

t.test('health checks report a silent external instance lost once', async (t) => {
  const silent = createSocket('udp4');
  const port = await freePort();
  await new Promise<void>((r) => silent.bind(port, '127.0.0.1', () => r()));
  const server = new MediaServer([{ host: '127.0.0.1', port }], 50, log);
  t.teardown(() => {
    server.close();
    silent.close();
  });
  const lost: string[] = [];
  const firstLoss = new Promise<void>((resolve) => server.on('instance-lost', (tgt) => {
    lost.push(`${tgt.host}:${tgt.port}`);
    resolve();
  }));
  server.monitor(60, 3);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([firstLoss, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('no instance-lost')), 5000)))]);
  clearTimeout(timer);
  await new Promise((r) => setTimeout(r, 300)); // more missed pings must not repeat the report
  t.same(lost, [`127.0.0.1:${port}`]);
});

t.test('timeout when the NG port does not answer', async (t) => {
  const silent = createSocket('udp4');
  const port = await freePort();
  await new Promise<void>((r) => silent.bind(port, '127.0.0.1', () => r()));
  const server = new MediaServer([{ host: '127.0.0.1', port }], 200, log);
  t.teardown(() => {
    server.close();
    silent.close();
  });
  const err = await server.ping().then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof RtpengineTimeout, 'RtpengineTimeout');
  t.equal((err as RtpengineTimeout).code, 'RTPENGINE_TIMEOUT');
  let failed = 0;
  const cm = new CallMedia(server, 'dead-call', 'tag', log);
  cm.on('failed', () => failed++);
  await t.rejects(cm.offerFromCaller(phoneSdp(30000, 'PCMU')), RtpengineTimeout);
  t.equal(failed, 1, 'CallMedia emits failed on timeout');
  await cm.close();
});

import t from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { rtpSockets, type DatagramHandler, type RtpSocket } from '../../../src/recorder/udp/sockets';
import { SLOT_BYTES } from '../../../src/recorder/udp/batch';

/** What a handler was given, copied out of the slab (the adapter reuses it after the call). */
interface Got {
  bytes: Buffer;
  end: number;
  /** performance.now() of the handler call less the age: when the datagram reached the host. */
  arrival: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const batched = rtpSockets('batched');
const sender: Socket = createSocket('udp4');
t.teardown(() => sender.close());

function collector(): { got: Got[]; handler: DatagramHandler } {
  const got: Got[] = [];
  return { got, handler: (buf, start, end, ageMs) => got.push({ bytes: Buffer.from(end < 0 ? [] : buf.subarray(start, end)), end, arrival: performance.now() - ageMs }) };
}

function send(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => sender.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

const noError = (err: Error) => t.fail(`socket error ${err.message}`);

t.test('npm run build built the batched receiver, and auto chooses it', async (t) => {
  t.equal(batched.kind, 'batched');
  t.equal(rtpSockets('auto').kind, 'batched');
  t.equal(rtpSockets('dgram').kind, 'dgram');
});

t.test('more datagrams than one drain takes (256) all arrive', async (t) => {
  // Three sockets of 120: a socket's kernel buffer (rmem_default) holds about 270 small datagrams.
  const cs = [collector(), collector(), collector()];
  const ss = await Promise.all(cs.map((c) => batched.bind('127.0.0.1', 0, c.handler, noError)));
  for (let i = 0; i < 360; i++) await send(ss[i % 3].port, Buffer.from([i & 0xff, i >> 8]));
  batched.flush();
  cs.forEach((c, k) => t.same(c.got.map((g) => g.bytes[0] | (g.bytes[1] << 8)), Array.from({ length: 120 }, (_, i) => 3 * i + k), `socket ${k}: all 120, in order`));
  for (const s of ss) s.close();
});

t.test('datagrams of two sockets arrive whole, in order per socket, with their kernel arrival age', async (t) => {
  const a = collector();
  const b = collector();
  const sa = await batched.bind('127.0.0.1', 0, a.handler, noError);
  const sb = await batched.bind('127.0.0.1', 0, b.handler, noError);
  t.ok(sa.port > 0 && sb.port > 0 && sa.port !== sb.port, `bound ${sa.port} and ${sb.port}`);
  // Each datagram's send window: the ticker drains every 100 ms meanwhile, so without the kernel's
  // timestamp a datagram's arrival would read as late as the drain that found it.
  const window: Array<[number, number]> = [];
  for (let i = 0; i < 300; i++) {
    const before = performance.now();
    await send(i % 2 === 0 ? sa.port : sb.port, Buffer.alloc(12 + (i % 160), i & 0xff));
    window.push([before, performance.now()]);
  }
  await sleep(120);
  batched.flush();
  t.equal(a.got.length, 150, 'all of socket A');
  t.equal(b.got.length, 150, 'all of socket B');
  const bad = a.got.concat(b.got).filter((g, k) => {
    const i = k < 150 ? 2 * k : 2 * (k - 150) + 1;
    return g.bytes.length !== 12 + (i % 160) || g.bytes.some((x) => x !== (i & 0xff));
  });
  t.same(bad, [], 'every datagram has its own length and content, in sending order');
  const off = a.got.concat(b.got).map((g, k) => {
    const [before, after] = window[k < 150 ? 2 * k : 2 * (k - 150) + 1];
    return g.arrival < before - 1 || g.arrival > after + 1 ? `${k}: ${(g.arrival - before).toFixed(2)} ms after send()` : null;
  }).filter((x) => x !== null);
  t.same(off, [], 'each arrival falls within its send() (1 ms of clock slack), not at the drain');
  sa.close();
  sb.close();
});

t.test('a datagram longer than a slot is reported cut (end < 0), the next one whole', async (t) => {
  const c = collector();
  const s = await batched.bind('127.0.0.1', 0, c.handler, noError);
  await send(s.port, Buffer.alloc(SLOT_BYTES + 1, 7));
  await send(s.port, Buffer.alloc(SLOT_BYTES, 9));
  batched.flush();
  t.same(c.got.map((g) => [g.end < 0, g.bytes.length]), [[true, 0], [false, SLOT_BYTES]]);
  s.close();
});

t.test('close() delivers what the kernel already holds, then nothing more', async (t) => {
  const c = collector();
  const s: RtpSocket = await batched.bind('127.0.0.1', 0, c.handler, noError);
  await send(s.port, Buffer.from('queued'));
  s.close();
  t.same(c.got.map((g) => g.bytes.toString()), ['queued'], 'delivered at close');
  await send(s.port, Buffer.from('after')).catch(() => undefined);
  batched.flush();
  t.equal(c.got.length, 1, 'a closed socket delivers nothing');
  s.close(); // idempotent
});

t.test('a taken port is refused with EADDRINUSE (the session tries the next port of its range)', async (t) => {
  const c = collector();
  const s = await batched.bind('127.0.0.1', 0, c.handler, noError);
  await t.rejects(batched.bind('127.0.0.1', s.port, c.handler, noError), { code: 'EADDRINUSE' });
  await t.rejects(batched.bind('not-an-address', 0, c.handler, noError), { code: 'EINVAL' });
  s.close();
});

t.test('IPv6 loopback binds and receives', async (t) => {
  const c = collector();
  const s = await batched.bind('::1', 0, c.handler, noError);
  const v6 = createSocket('udp6');
  await new Promise<void>((resolve, reject) => v6.send(Buffer.from('six'), s.port, '::1', (err) => (err ? reject(err) : resolve())));
  v6.close();
  batched.flush();
  t.same(c.got.map((g) => g.bytes.toString()), ['six']);
  s.close();
});

t.test('a socket closed twice leaves alone the socket that took its descriptor number', async (t) => {
  for (const adapter of [batched, rtpSockets('dgram')]) {
    const a = await adapter.bind('127.0.0.1', 0, () => undefined, noError);
    a.close();
    // The kernel gives the lowest free descriptor: the next socket reuses a's number.
    const b = collector();
    const sb = await adapter.bind('127.0.0.1', 0, b.handler, noError);
    t.doesNotThrow(() => a.close(), `${adapter.kind}: a second close() is harmless`);
    await send(sb.port, Buffer.from('still here'));
    await sleep(120);
    adapter.flush();
    t.same(b.got.map((g) => g.bytes.toString()), ['still here'], `${adapter.kind}: the other socket still receives`);
    sb.close();
  }
});

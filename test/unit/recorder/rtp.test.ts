import t from 'tap';
import { parseRtp, parseRtpInto, buildRtp, RtpHeader } from '../../../src/recorder/rtp';
import { RtpParseError } from '../../../src/recorder/errors';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

t.test('valid packets parse to exact fields', (t) => {
  const cases: Array<{ name: string; buf: Uint8Array; want: Record<string, unknown>; payload: string }> = [
    {
      name: 'plain PCMU',
      buf: hex('80 00 12 34 00 00 03 e8 de ad be ef ff fe'),
      want: { marker: false, payloadType: 0, sequenceNumber: 0x1234, timestamp: 1000, ssrc: 0xdeadbeef, csrcCount: 0 },
      payload: 'fffe',
    },
    {
      name: 'marker, PCMA, max seq and ts',
      buf: hex('80 88 ff ff ff ff ff ff 00 00 00 01 d5'),
      want: { marker: true, payloadType: 8, sequenceNumber: 65535, timestamp: 0xffffffff, ssrc: 1 },
      payload: 'd5',
    },
    {
      name: 'two CSRCs',
      buf: hex('82 00 00 01 00 00 00 00 00 00 00 02 00 00 00 0a 00 00 00 0b 55'),
      want: { csrcCount: 2, csrc: [10, 11] },
      payload: '55',
    },
    {
      name: 'header extension of one word',
      buf: hex('90 00 00 01 00 00 00 00 00 00 00 02 be de 00 01 11 22 33 44 aa bb'),
      want: { extension: true },
      payload: 'aabb',
    },
    {
      name: 'padding of 3',
      buf: hex('a0 00 00 01 00 00 00 00 00 00 00 02 aa bb 00 00 03'),
      want: { padding: true },
      payload: 'aabb',
    },
  ];
  for (const c of cases) {
    const p = parseRtp(c.buf);
    for (const [k, v] of Object.entries(c.want)) t.same((p as unknown as Record<string, unknown>)[k], v, `${c.name}: ${k}`);
    t.equal(Buffer.from(p.payload).toString('hex'), c.payload, `${c.name}: payload`);
    // The same datagram inside a larger buffer (the batched receiver's slab), junk either side.
    const slab = new Uint8Array(c.buf.length + 40).fill(0xa5);
    slab.set(c.buf, 17);
    const h = new RtpHeader();
    parseRtpInto(slab, h, 17, 17 + c.buf.length);
    for (const k of ['marker', 'payloadType', 'sequenceNumber', 'timestamp', 'ssrc', 'csrcCount', 'padding', 'extension'] as const) t.equal(h[k], p[k], `${c.name} at offset 17: ${k}`);
    t.equal(Buffer.from(slab.subarray(h.payloadStart, h.payloadEnd)).toString('hex'), c.payload, `${c.name} at offset 17: payload`);
  }
  t.end();
});

t.test('malformed packets are rejected with RTP_MALFORMED', (t) => {
  const cases: Array<[string, Uint8Array]> = [
    ['too short', hex('80 00 00 01 00 00 00 00 00 00 00')],
    ['version 1', hex('40 00 00 01 00 00 00 00 00 00 00 02 ff')],
    ['version 0', hex('00 00 00 01 00 00 00 00 00 00 00 02 ff')],
    ['CSRC count past end', hex('83 00 00 01 00 00 00 00 00 00 00 02 00 00 00 01')],
    ['extension header past end', hex('90 00 00 01 00 00 00 00 00 00 00 02 be de')],
    ['extension body past end', hex('90 00 00 01 00 00 00 00 00 00 00 02 be de 00 02 00 00 00 00')],
    ['padding count zero', hex('a0 00 00 01 00 00 00 00 00 00 00 02 aa 00')],
    ['padding larger than payload', hex('a0 00 00 01 00 00 00 00 00 00 00 02 aa 09')],
    ['RTCP SR on the RTP port', hex('80 c8 00 06 00 00 00 02 00 00 00 00 00 00 00 00')],
  ];
  for (const [name, buf] of cases) {
    t.throws(() => parseRtp(buf), RtpParseError, name);
    const slab = new Uint8Array(buf.length + 40).fill(0x80);
    slab.set(buf, 9);
    t.throws(() => parseRtpInto(slab, new RtpHeader(), 9, 9 + buf.length), RtpParseError, `${name} at offset 9`);
    try {
      parseRtp(buf);
    } catch (e) {
      t.equal((e as RtpParseError).code, 'RTP_MALFORMED', `${name}: code`);
    }
  }
  t.end();
});

t.test('buildRtp round-trips through parseRtp', (t) => {
  const b = buildRtp({ payloadType: 8, sequenceNumber: 70000, timestamp: 2 ** 32 + 5, ssrc: 0xfffffffe, marker: true, payload: Uint8Array.of(1, 2, 3) });
  const p = parseRtp(b);
  t.same([p.payloadType, p.sequenceNumber, p.timestamp, p.ssrc, p.marker], [8, 70000 & 0xffff, 5, 0xfffffffe, true]);
  t.same([...p.payload], [1, 2, 3]);
  t.end();
});

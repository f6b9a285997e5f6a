/**
 * The recording fork against the real rtpengine, for the offers real phones and trunks make:
 * codec lists in any order (PCMU, PCMA, G.722, telephone-event), ptime 10-60, SSRC changes, a
 * re-INVITE that changes the codec, one-way audio, silence suppression. Each row anchors a call
 * (offer/answer), forks it to a real RecordingSession, sends a tone per party (caller 1 kHz,
 * callee 400 Hz) and checks the decoded file and the media check's verdict. Before the fix of
 * issue 11, every row whose both sides keep PCMU and PCMA failed at the subscribe answer and
 * the file held silence.
 */
import t from 'tap';
import type { Socket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallMedia, startMedia, type Media } from '../../../src/media';
import { EncoderPool } from '../../../src/recorder/encoder/pool';
import { RecordingSession } from '../../../src/recorder/session';
import { buildRtp } from '../../../src/recorder/rtp';
import { linearToAlaw, linearToUlaw } from '../../../src/recorder/g711';
import { MediaWitness, type MediaStatus } from '../../../src/recording/media-check';
import { decode, rms } from '../recorder/decode';
import { goertzel } from '../../unit/recorder/dsp';
import { boundUdp } from '../../helpers/ports';
import { sleepUntil } from '../../helpers/wait';
import { log, testMediaConfig } from './setup';

type Codec = 'PCMU' | 'PCMA' | 'G722' | 'TE';
const PT: Record<Codec, number> = { PCMU: 0, PCMA: 8, G722: 9, TE: 101 };
const RTPMAP: Record<Codec, string> = { PCMU: 'PCMU/8000', PCMA: 'PCMA/8000', G722: 'G722/8000', TE: 'telephone-event/8000' };

function sdp(port: number, codecs: readonly Codec[], ptime?: number): string {
  return [
    'v=0', `o=- ${port} ${Date.now() % 100000} IN IP4 127.0.0.1`, 's=peer', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${port} RTP/AVP ${codecs.map((c) => PT[c]).join(' ')}`,
    ...codecs.map((c) => `a=rtpmap:${PT[c]} ${RTPMAP[c]}`),
    ...(codecs.includes('TE') ? ['a=fmtp:101 0-16'] : []),
    ...(ptime ? [`a=ptime:${ptime}`] : []), 'a=sendrecv', '',
  ].join('\r\n');
}

/** One stretch of a party's RTP: codec, packet time, SSRC, from..to ms after the start. */
interface Stretch {
  codec: 'PCMU' | 'PCMA' | 'G722';
  ptime: number;
  ssrc: number;
  fromMs: number;
  toMs: number;
}

interface Row {
  name: string;
  offer: Codec[];
  answer: Codec[];
  offerPtime?: number;
  caller: Stretch[];
  callee: Stretch[];
  /** A re-INVITE from the caller at this ms, with these codecs offered and answered. */
  reinvite?: { atMs: number; codecs: Codec[] };
  status: MediaStatus;
}

const s = (codec: Stretch['codec'], fromMs: number, toMs: number, o: Partial<Stretch> = {}): Stretch => ({ codec, ptime: 20, ssrc: 0x1000 + fromMs, fromMs, toMs, ...o });
const G711: Codec[] = ['PCMU', 'PCMA', 'TE'];

const ROWS: Row[] = [
  { name: 'PCMU+PCMA both sides (baresip, desk phones), both send PCMU', offer: G711, answer: G711, caller: [s('PCMU', 0, 2000)], callee: [s('PCMU', 0, 2000)], status: 'complete' },
  { name: 'PCMU+PCMA both sides, callee sends PCMA', offer: G711, answer: G711, caller: [s('PCMU', 0, 2000)], callee: [s('PCMA', 0, 2000)], status: 'complete' },
  { name: 'PCMA first in the offer', offer: ['PCMA', 'PCMU', 'TE'], answer: ['PCMA', 'PCMU'], caller: [s('PCMA', 0, 2000)], callee: [s('PCMA', 0, 2000)], status: 'complete' },
  { name: 'answer narrows to PCMU', offer: G711, answer: ['PCMU', 'TE'], caller: [s('PCMU', 0, 2000)], callee: [s('PCMU', 0, 2000)], status: 'complete' },
  { name: 'G.722 call: the fork is transcoded', offer: ['G722', 'PCMU', 'PCMA', 'TE'], answer: ['G722', 'TE'], caller: [s('G722', 0, 2000)], callee: [s('G722', 0, 2000)], status: 'complete' },
  { name: 'ptime 10 and ptime 30', offer: G711, answer: G711, offerPtime: 10, caller: [s('PCMU', 0, 2000, { ptime: 10 })], callee: [s('PCMU', 0, 2000, { ptime: 30 })], status: 'complete' },
  { name: 'ptime 60', offer: G711, answer: G711, offerPtime: 60, caller: [s('PCMA', 0, 2040, { ptime: 60 })], callee: [s('PCMU', 0, 2040, { ptime: 60 })], status: 'complete' },
  { name: 'SSRC change mid-call (phone restarts its stream)', offer: G711, answer: G711, caller: [s('PCMU', 0, 1000, { ssrc: 0x1111 }), s('PCMU', 1000, 2000, { ssrc: 0x2222 })], callee: [s('PCMU', 0, 2000)], status: 'complete' },
  { name: 'one-way audio: the callee sends nothing', offer: G711, answer: G711, caller: [s('PCMU', 0, 2000)], callee: [], status: 'complete' },
  { name: 'silence suppression: the caller pauses 800 ms', offer: G711, answer: G711, caller: [s('PCMU', 0, 600, { ssrc: 7 }), s('PCMU', 1400, 2000, { ssrc: 7 })], callee: [s('PCMU', 0, 2000)], status: 'complete' },
  { name: 're-INVITE switches the call from PCMU to G.722', offer: ['PCMU', 'G722', 'TE'], answer: ['PCMU', 'G722', 'TE'], reinvite: { atMs: 1000, codecs: ['G722', 'TE'] }, caller: [s('PCMU', 0, 950, { ssrc: 11 }), s('G722', 1100, 2000, { ssrc: 11 })], callee: [s('PCMU', 0, 950, { ssrc: 12 }), s('G722', 1100, 2000, { ssrc: 12 })], status: 'complete' },
  { name: 're-INVITE switches the call from PCMU to PCMA', offer: G711, answer: G711, reinvite: { atMs: 1000, codecs: ['PCMA', 'TE'] }, caller: [s('PCMU', 0, 950, { ssrc: 9 }), s('PCMA', 1100, 2000, { ssrc: 9 })], callee: [s('PCMU', 0, 950, { ssrc: 10 }), s('PCMA', 1100, 2000, { ssrc: 10 })], status: 'complete' },
];

const CALLER_HZ = 1000;
const CALLEE_HZ = 400;

/** A tone's G.722 bitstream (ffmpeg's encoder; 20 ms = 160 bytes at 64 kbit/s). */
function g722Tone(freq: number, seconds: number, dir: string): Buffer {
  const out = join(dir, `tone-${freq}.g722`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${freq}:sample_rate=16000:duration=${seconds}`, '-ar', '16000', '-ac', '1', '-c:a', 'g722', '-f', 'g722', out], { timeout: 30000 });
  return readFileSync(out);
}

function g711Payload(codec: 'PCMU' | 'PCMA', freq: number, sample0: number, n: number): Buffer {
  const enc = codec === 'PCMU' ? linearToUlaw : linearToAlaw;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = enc(Math.round(8000 * Math.sin((2 * Math.PI * freq * (sample0 + i)) / 8000)));
  return out;
}


/** Sends a party's stretches from `sock` to rtpengine's port, paced on an absolute schedule. */
async function sendParty(sock: Socket, port: number, freq: number, stretches: readonly Stretch[], t0: number, g722: Buffer): Promise<void> {
  const perSsrc = new Map<number, { seq: number; ts: number }>();
  for (const st of stretches) {
    const state = perSsrc.get(st.ssrc) ?? { seq: (st.ssrc * 7) & 0xffff, ts: (st.ssrc * 1000) >>> 0 };
    perSsrc.set(st.ssrc, state);
    const samples = st.ptime * 8;
    let first = true;
    for (let ms = st.fromMs; ms + st.ptime <= st.toMs; ms += st.ptime) {
      await sleepUntil(t0 + ms);
      const sample0 = ms * 8;
      const payload = st.codec === 'G722' ? g722.subarray(sample0, sample0 + samples) : g711Payload(st.codec, freq, sample0, samples);
      // Silence suppression (RFC 3551 4.1): the timestamp runs on through the pause; marker set after it.
      state.ts = ((st.ssrc * 1000) + sample0) >>> 0;
      sock.send(buildRtp({ payloadType: PT[st.codec], sequenceNumber: state.seq & 0xffff, timestamp: state.ts, ssrc: st.ssrc, marker: first, payload }), port, '127.0.0.1');
      first = false;
      state.seq++;
    }
  }
}

/** Share of 20 ms blocks inside [fromMs, toMs] of the channel that carry `freq` above the other tone. */
function toneCoverage(x: Int16Array, rate: number, freq: number, other: number, fromMs: number, toMs: number): number {
  const block = rate / 50;
  let hit = 0;
  let n = 0;
  for (let ms = fromMs; ms + 20 <= toMs; ms += 20) {
    const a = Math.floor((ms / 1000) * rate);
    const seg = x.subarray(a, a + block);
    if (seg.length < block) break;
    n++;
    if (rms(seg, 0, seg.length) > 1000 && goertzel(seg, rate, freq) > 4 * goertzel(seg, rate, other)) hit++;
  }
  return n === 0 ? 0 : hit / n;
}


const portOf = (body: string): number => Number(/m=audio (\d+)/.exec(body)?.[1]);

let media: Media;
const pool = new EncoderPool(1);
const dir = mkdtempSync(join(tmpdir(), 'fork-matrix-'));
let g722: Record<number, Buffer>;

t.before(async () => {
  media = await startMedia(await testMediaConfig({ logLevel: 3 }), log);
  g722 = { [CALLER_HZ]: g722Tone(CALLER_HZ, 3, dir), [CALLEE_HZ]: g722Tone(CALLEE_HZ, 3, dir) };
});
t.teardown(async () => {
  await media?.close();
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

for (const row of ROWS) {
  t.test(row.name, async (t) => {
    const callId = `matrix-${Math.random().toString(36).slice(2)}`;
    const session = new RecordingSession({ callId, pool, host: '127.0.0.1', jitterMs: 200, spoolDir: dir, logger: log });
    const eps = await session.start();
    const rec = session.record({ format: 'wav', sampleRate: 8000, channels: 'stereo', timeLimitSec: 60, minSec: 0 });
    const cm = new CallMedia(media.server, callId, `from-${callId}`, log);
    const [a, b] = [await boundUdp(), await boundUdp()];
    try {
      const toCallee = await cm.offerFromCaller(sdp(a.address().port, row.offer, row.offerPtime));
      const toCaller = await cm.answerFromCallee(sdp(b.address().port, row.answer, row.offerPtime), `to-${callId}`);
      const fork = await cm.fork({ host: '127.0.0.1', ports: eps.map((e) => e.port) });
      const witness = new MediaWitness(() => cm, session);
      for (const st of fork.streams) {
        for (const c of st.codecs) session.setLegCodec(st.participant, { payloadType: c.payloadType, encoding: c.encoding, ...(st.telephoneEventPt !== undefined ? { telephoneEventPt: st.telephoneEventPt } : {}) });
      }
      witness.forked(fork.streams.map((st) => ({ leg: st.participant, transcoded: st.transcode })));
      rec.begin();
      const t0 = performance.now() + 100;
      const reinvite = row.reinvite
        ? sleepUntil(t0 + row.reinvite.atMs).then(async () => {
          const r = row.reinvite;
          if (!r) return;
          await cm.reoffer('caller', sdp(a.address().port, r.codecs));
          await cm.reanswer('caller', sdp(b.address().port, r.codecs));
        })
        : Promise.resolve();
      await Promise.all([
        sendParty(a, portOf(toCaller), CALLER_HZ, row.caller, t0, g722[CALLER_HZ]),
        sendParty(b, portOf(toCallee), CALLEE_HZ, row.callee, t0, g722[CALLEE_HZ]),
        reinvite,
      ]);
      await sleepUntil(t0 + 2300);
      const stopped = performance.now();
      await session.close('hangup');
      const result = await rec.finished;
      const verdict = await witness.verdict(undefined, result);
      t.equal(verdict.status, row.status, `media check: ${verdict.status} (${verdict.reason ?? 'no reason'}; ${JSON.stringify(verdict.legs)})`);
      t.ok(stopped > t0, 'sent before the stop');

      const d = decode(result.path);
      t.same([d.sampleRate, d.channels], [8000, 2], 'stereo 8 kHz');
      // The file starts at begin(); media starts ~100 ms later plus the jitter delay's alignment.
      const offsetMs = 100;
      const windows = (stretches: readonly Stretch[]): Array<[number, number]> => stretches.map((st) => [st.fromMs + offsetMs + 200, st.toMs + offsetMs - 200]);
      for (const [ch, party, freq, other] of [[0, row.caller, CALLER_HZ, CALLEE_HZ], [1, row.callee, CALLEE_HZ, CALLER_HZ]] as const) {
        for (const [from, to] of windows(party)) {
          const cov = toneCoverage(d.ch[ch], 8000, freq, other, from, to);
          t.ok(cov >= 0.9, `channel ${ch} carries ${freq} Hz in ${from}-${to} ms (${(cov * 100).toFixed(0)}% of 20 ms blocks)`);
        }
        if (party.length === 0) {
          const whole = rms(d.ch[ch], 0, d.ch[ch].length);
          t.ok(whole < 200, `channel ${ch} is silent for a party that sent nothing (rms ${whole.toFixed(0)})`);
        }
      }
      const pause = row.caller.length === 2 && row.caller[0].ssrc === row.caller[1].ssrc && !row.reinvite
        ? [row.caller[0].toMs + offsetMs + 100, row.caller[1].fromMs + offsetMs - 100] : undefined;
      if (pause) {
        const [from, to] = pause.map((ms) => Math.floor((ms / 1000) * 8000));
        t.ok(rms(d.ch[0], from, to) < 200, `the suppressed silence is silence (rms ${rms(d.ch[0], from, to).toFixed(0)})`);
      }
    } finally {
      await cm.close();
      a.close();
      b.close();
    }
  });
}

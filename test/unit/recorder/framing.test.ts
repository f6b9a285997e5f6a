import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wavHeader, WavFileWriter } from '../../../src/recorder/encoder/wav';
import { mp3BitrateKbps, isMp3SampleRate } from '../../../src/recorder/mp3-params';
import { parseTelephoneEvent } from '../../../src/recorder/telephone-event';
import { Renderer } from '../../../src/recorder/encoder/render';

t.test('WAV header bytes', (t) => {
  const cases: Array<[number, number, number, string]> = [
    [16000, 2, 64000, '52494646' + '24fa0000' + '57415645' + '666d7420' + '10000000' + '0100' + '0200' + '803e0000' + '00fa0000' + '0400' + '1000' + '64617461' + '00fa0000'],
    [8000, 1, 0, '52494646' + '24000000' + '57415645' + '666d7420' + '10000000' + '0100' + '0100' + '401f0000' + '803e0000' + '0200' + '1000' + '64617461' + '00000000'],
  ];
  for (const [rate, ch, bytes, hex] of cases) t.equal(wavHeader(rate, ch, bytes).toString('hex'), hex, `${rate} Hz x${ch}, ${bytes} bytes`);
  t.end();
});

t.test('WavFileWriter finalizes the header on close, data little-endian', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wav-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'a.wav');
  const w = new WavFileWriter(path, 8000, 2);
  w.write(Int16Array.of(1, -1));
  w.write(Int16Array.of(256, -32768));
  t.equal(await w.close(), 52);
  t.equal(await w.close(), 52, 'close is idempotent');
  const f = readFileSync(path);
  t.equal(f.readUInt32LE(4), 44, 'RIFF size = 36 + data');
  t.equal(f.readUInt32LE(40), 8, 'data size');
  t.equal(f.subarray(44).toString('hex'), '0100ffff00010080');
});

t.test('MP3 bitrate and rate tables', (t) => {
  const cases: Array<[number, 1 | 2, number]> = [
    [8000, 1, 16], [8000, 2, 32], [16000, 1, 24], [16000, 2, 48], [22050, 2, 64], [32000, 2, 96], [44100, 2, 96], [48000, 1, 48],
  ];
  for (const [rate, ch, kbps] of cases) t.equal(mp3BitrateKbps(rate, ch), kbps, `${rate} x${ch}`);
  t.same([8000, 16000, 22050, 44100, 48000, 96000, 20000].map(isMp3SampleRate), [true, true, true, true, true, false, false]);
  t.end();
});

t.test('RFC 4733 telephone-event payloads', (t) => {
  const cases: Array<[number[], ReturnType<typeof parseTelephoneEvent>]> = [
    [[11, 0x8a, 0x03, 0x20], { event: 11, digit: '#', end: true, volume: 10, duration: 800 }],
    [[1, 0x0a, 0x00, 0xa0], { event: 1, digit: '1', end: false, volume: 10, duration: 160 }],
    [[10, 0x80, 0, 0], { event: 10, digit: '*', end: true, volume: 0, duration: 0 }],
    [[16, 0x80, 0, 0], { event: 16, digit: null, end: true, volume: 0, duration: 0 }],
    [[11, 0x80, 0], null],
  ];
  for (const [bytes, want] of cases) t.same(parseTelephoneEvent(Uint8Array.from(bytes)), want, bytes.join(','));
  t.end();
});

t.test('Renderer keeps legs in lockstep and lays out channels', (t) => {
  const r = new Renderer(2, 16000, 'stereo');
  const a = new Int16Array(80).fill(1000);
  const b = new Int16Array(80).fill(-1000);
  let frames = 0;
  for (let i = 0; i < 10; i++) frames += r.render([a, b]).length / 2;
  t.equal(frames, 1600, '800 input samples per leg -> 1600 stereo frames');
  const out = r.render([a, b]);
  t.same([out[0], out[1]], [1000, -1000], 'steady state: left caller, right callee');
  t.end();
});

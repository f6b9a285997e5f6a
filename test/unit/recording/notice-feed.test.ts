import t from 'tap';
import { toneWav } from '../../../src/media';
import { pcm8kOf } from '../../../src/recording/notice-feed';

/** toneWav with one fmt field changed (offset in the 44-byte header), or a chunk put before `data`. */
function variant(o: { at?: number; u16?: number; u32?: number; extra?: Buffer }): Buffer {
  const w = Buffer.from(toneWav(1400, 100));
  if (o.at !== undefined && o.u16 !== undefined) w.writeUInt16LE(o.u16, o.at);
  if (o.at !== undefined && o.u32 !== undefined) w.writeUInt32LE(o.u32, o.at);
  return o.extra ? Buffer.concat([w.subarray(0, 36), o.extra, w.subarray(36)]) : w;
}

const list = Buffer.concat([Buffer.from('LIST', 'ascii'), Buffer.from([3, 0, 0, 0]), Buffer.from([1, 2, 3, 0])]);

t.test('pcm8kOf: 8 kHz 16-bit mono PCM WAV only', async (t) => {
  const rows: Array<[string, Buffer, number | undefined]> = [
    ['the built-in beep (100 ms)', variant({}), 800],
    ['a LIST chunk (odd size, padded) before data', variant({ extra: list }), 800],
    ['stereo', variant({ at: 22, u16: 2 }), undefined],
    ['16 kHz', variant({ at: 24, u32: 16000 }), undefined],
    ['8-bit', variant({ at: 34, u16: 8 }), undefined],
    ['not PCM (format 6, A-law)', variant({ at: 20, u16: 6 }), undefined],
    ['not a WAV', Buffer.from('ID3\u0004 not a wav file at all'), undefined],
    ['empty', Buffer.alloc(0), undefined],
  ];
  for (const [name, wav, n] of rows) t.equal(pcm8kOf(wav)?.length, n, name);
  const beep = pcm8kOf(variant({}));
  t.equal(beep?.[2], toneWav(1400, 100).readInt16LE(44 + 4), 'samples as written');
});

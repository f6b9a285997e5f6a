import t from 'tap';
import { ULAW_TABLE, ALAW_TABLE, decodeG711, linearToUlaw, linearToAlaw, tableForPayloadType } from '../../../src/recorder/g711';

// Reference values of the ITU-T G.711 decoding tables (16-bit scaling).
t.test('mu-law decode table values', (t) => {
  const cases: Array<[number, number]> = [
    [0x00, -32124], [0x01, -31100], [0x0f, -16764], [0x10, -15996], [0x70, -120], [0x7e, -8], [0x7f, 0],
    [0x80, 32124], [0x8f, 16764], [0xf0, 120], [0xfe, 8], [0xff, 0],
  ];
  for (const [code, v] of cases) t.equal(ULAW_TABLE[code], v, `0x${code.toString(16)}`);
  t.end();
});

t.test('A-law decode table values', (t) => {
  const cases: Array<[number, number]> = [
    [0x00, -5504], [0x2a, -32256], [0x55, -8], [0x54, -24], [0x80, 5504], [0xaa, 32256], [0xd5, 8], [0xd4, 24],
    [0x7f, -848], [0xff, 848],
  ];
  for (const [code, v] of cases) t.equal(ALAW_TABLE[code], v, `0x${code.toString(16)}`);
  t.end();
});

t.test('encoders invert the decoders for every code', (t) => {
  for (let c = 0; c < 256; c++) {
    // mu-law has two zeros (0x7f and 0xff); encoding 0 gives the positive one.
    t.equal(linearToUlaw(ULAW_TABLE[c]), c === 0x7f ? 0xff : c, `ulaw 0x${c.toString(16)}`);
    t.equal(linearToAlaw(ALAW_TABLE[c]), c, `alaw 0x${c.toString(16)}`);
  }
  t.end();
});

t.test('decodeG711 and payload types', (t) => {
  t.same([...decodeG711(Uint8Array.of(0xff, 0x80, 0x00), ULAW_TABLE)], [0, 32124, -32124]);
  t.same([...decodeG711(Uint8Array.of(0xd5, 0x2a), ALAW_TABLE)], [8, -32256]);
  t.equal(tableForPayloadType(0), ULAW_TABLE);
  t.equal(tableForPayloadType(8), ALAW_TABLE);
  t.equal(tableForPayloadType(18), undefined);
  t.end();
});

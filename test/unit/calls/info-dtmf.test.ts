import t from 'tap';
import { infoDtmf, type InfoDtmf } from '../../../src/calls/info-dtmf';

const CASES: [string | undefined, string | undefined, InfoDtmf][] = [
  ['application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n', { kind: 'digit', digit: '5' }],
  ['application/dtmf-relay', 'Signal=*\nDuration=250', { kind: 'digit', digit: '*' }],
  ['application/dtmf-relay', 'Signal= #\r\n', { kind: 'digit', digit: '#' }],
  ['application/dtmf-relay', 'Duration=160\r\nSignal=11\r\n', { kind: 'digit', digit: '#' }],
  ['application/dtmf-relay', 'signal=10', { kind: 'digit', digit: '*' }],
  ['application/dtmf-relay', 'Signal=d', { kind: 'digit', digit: 'D' }],
  ['Application/DTMF-Relay; charset=utf-8', 'Signal=0', { kind: 'digit', digit: '0' }],
  ['application/dtmf', '7', { kind: 'digit', digit: '7' }],
  ['application/dtmf', '11\r\n', { kind: 'digit', digit: '#' }],
  ['application/dtmf-relay', 'Signal=hello', { kind: 'malformed' }],
  ['application/dtmf-relay', 'Signal=16', { kind: 'malformed' }],
  ['application/dtmf-relay', 'Duration=160', { kind: 'malformed' }],
  ['application/dtmf-relay', '', { kind: 'malformed' }],
  ['application/dtmf', undefined, { kind: 'malformed' }],
  ['application/dtmf', '\u0000\u00ff\u0007garbage', { kind: 'malformed' }],
  ['application/dtmf', '12', { kind: 'digit', digit: 'A' }],
  ['application/media_control+xml', '<media_control/>', { kind: 'other' }],
  ['text/plain', 'Signal=5', { kind: 'other' }],
  [undefined, undefined, { kind: 'other' }],
];

t.test('SIP INFO bodies: the key, malformed, or another request', async (t) => {
  for (const [type, body, want] of CASES) t.same(infoDtmf(type, body), want, `${type ?? '(no type)'} ${JSON.stringify(body)}`);
});

import t from 'tap';
import { contactKey, ContactParseError, parseContactHeaders, type ContactList } from '../../../src/signalling/registrar/contact';

t.test('Contact parsing table', async (t) => {
  const rows: [string[], ContactList][] = [
    [['<sip:1001@10.0.0.5:5062>'], { wildcard: false, contacts: [{ uri: 'sip:1001@10.0.0.5:5062', params: {} }] }],
    [['<sip:1001@h;transport=tcp>;expires=60;q=0.5'],
      { wildcard: false, contacts: [{ uri: 'sip:1001@h;transport=tcp', params: { expires: '60', q: '0.5' } }] }],
    [['sip:1001@h;expires=0'], { wildcard: false, contacts: [{ uri: 'sip:1001@h', params: { expires: '0' } }] }],
    [['"Bob, Jr" <sip:b@h>, <sip:b@h2>;expires=30'], { wildcard: false, contacts: [
      { uri: 'sip:b@h', displayName: 'Bob, Jr', params: {} },
      { uri: 'sip:b@h2', params: { expires: '30' } },
    ] }],
    [['<sip:a@h>', '<sip:a@h2>'], { wildcard: false, contacts: [{ uri: 'sip:a@h', params: {} }, { uri: 'sip:a@h2', params: {} }] }],
    [['<sip:a@h>;+sip.instance="<urn:uuid:1>";reg-id=1'],
      { wildcard: false, contacts: [{ uri: 'sip:a@h', params: { '+sip.instance': '<urn:uuid:1>', 'reg-id': '1' } }] }],
    [['*'], { wildcard: true }],
    [[' * '], { wildcard: true }],
    [[], { wildcard: false, contacts: [] }],
  ];
  for (const [input, want] of rows) t.same(parseContactHeaders(input), want, JSON.stringify(input));
});

t.test('Contact parse errors', async (t) => {
  for (const bad of [['*, <sip:a@h>'], ['<sip:a@h'], ['nonsense'], ['<1001@h>']]) {
    t.throws(() => parseContactHeaders(bad), ContactParseError, JSON.stringify(bad));
  }
});

t.test('contact comparison keys (RFC 3261 19.1.4)', async (t) => {
  const same: [string, string][] = [
    ['sip:bob@HOST.com', 'SIP:bob@host.com'],
    ['sip:bob@h;lr', 'sip:bob@h'],
    ['sip:bob@h;transport=TCP', 'sip:bob@h;transport=tcp'],
  ];
  const differ: [string, string][] = [
    ['sip:Bob@h', 'sip:bob@h'],
    ['sip:bob@h', 'sip:bob@h:5060'],
    ['sip:bob@h;transport=tcp', 'sip:bob@h'],
  ];
  for (const [a, b] of same) t.equal(contactKey(a), contactKey(b), `${a} == ${b}`);
  for (const [a, b] of differ) t.not(contactKey(a), contactKey(b), `${a} != ${b}`);
});

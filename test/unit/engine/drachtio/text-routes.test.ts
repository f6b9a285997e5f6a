import t from 'tap';
import { RouteTable } from '../../../../src/engine/drachtio/routes';
import {
  displayName, getAllHeaders, getHeader, parseText, prependHeaders, removeHeader, renderText, requestLine, setHeader, statusLine,
} from '../../../../src/engine/drachtio/text-message';

t.test('route table: round robin per verb, removal', async (t) => {
  const r = new RouteTable<string>();
  t.equal(r.select('INVITE'), undefined);
  r.add('invite', 'a');
  r.add('INVITE', 'b');
  r.add('invite', 'a');
  r.add('register', 'b');
  t.same([r.select('INVITE'), r.select('invite'), r.select('Invite')], ['a', 'b', 'a'], 'alternates, no duplicates');
  r.removeApp('a');
  t.same([r.select('invite'), r.select('invite')], ['b', 'b']);
  r.remove('invite', 'b');
  t.notOk(r.has('invite'));
  t.ok(r.has('REGISTER'));
});

t.test('lenient text messages from srf', async (t) => {
  const m = parseText('INVITE sip:a@b SIP/2.0\r\nf: <sip:x@y>;tag=1\r\nX-Long: one\r\n  two\r\nbad line\r\nContent-Length: 99\r\n\r\nv=0\r\n');
  if (!m) throw new Error('parse');
  t.same(requestLine(m), { method: 'INVITE', uri: 'sip:a@b' });
  t.equal(getHeader(m, 'From'), '<sip:x@y>;tag=1', 'compact form found by long name');
  t.equal(getHeader(m, 'x-long'), 'one two', 'folded line unfolded (RFC 3261 7.3.1)');
  t.equal(m.body, 'v=0\r\n');
  t.match(renderText(m), /Content-Length: 5\r\n\r\nv=0\r\n$/, 'Content-Length recomputed, app value ignored');
  setHeader(m, 'from', '<sip:z@y>');
  t.same(getAllHeaders(m, 'f'), ['<sip:z@y>'], 'set replaces');
  prependHeaders(m, 'Route', ['<sip:r1;lr>', '<sip:r2;lr>']);
  t.same(m.headers.slice(0, 2), [['Route', '<sip:r1;lr>'], ['Route', '<sip:r2;lr>']]);
  removeHeader(m, 'route');
  t.same(getAllHeaders(m, 'route'), []);
  t.equal(parseText(''), null);
  t.same(statusLine({ startLine: 'SIP/2.0 486 Busy Here', headers: [], body: '' }), { status: 486, reason: 'Busy Here' });
  t.equal(statusLine({ startLine: 'SIP/2.0 abc', headers: [], body: '' }), null);
  t.equal(requestLine({ startLine: 'INVITE sip:a@b HTTP/1.1', headers: [], body: '' }), null);
});

t.test('header names as sofia writes them', async (t) => {
  const rows: [string, string][] = [['contact', 'Contact'], ['call-id', 'Call-ID'], ['CSEQ', 'CSeq'], ['i', 'Call-ID'], ['x-custom', 'x-custom']];
  for (const [i, want] of rows) t.equal(displayName(i), want, i);
});

import t from 'tap';
import { Dialog, dialogIdOf, type DialogInit } from '../../../../src/engine/dialog/dialog';
import { DialogStore } from '../../../../src/engine/dialog/store';
import { tagOf, uriOf, splitList, hostPortOf, endpointOf, isLooseRoute, parseCSeq, withTag } from '../../../../src/engine/dialog/fields';
import { getAllHeaders, getHeader, parseText, renderText } from '../../../../src/engine/drachtio/text-message';

const base: DialogInit = {
  role: 'uac', kind: 'invite', callId: 'c1', localTag: 'L', remoteTag: 'R',
  localAddr: '<sip:a@10.0.0.1>;tag=L', remoteAddr: '<sip:b@10.0.0.2>;tag=R',
  localSeq: 5, remoteSeq: 0, remoteTarget: 'sip:b@10.0.0.2:5070', routeSet: [],
  localContact: '<sip:10.0.0.1:5060>', transport: 'udp', owner: 'app1',
};

t.test('field helpers', async (t) => {
  const tags: [string | undefined, string | undefined][] = [
    ['<sip:a@h>;tag=abc', 'abc'],
    ['"A;tag=no" <sip:a@h;tag=no>;foo=1;tag=x1', 'x1'],
    ['sip:a@h;tag=plain', 'plain'],
    ['<sip:a@h>', undefined],
    [undefined, undefined],
  ];
  for (const [v, want] of tags) t.equal(tagOf(v), want, String(v));
  t.equal(withTag('<sip:a@h>', 'z'), '<sip:a@h>;tag=z');
  t.equal(withTag('<sip:a@h>;tag=y', 'z'), '<sip:a@h>;tag=y');
  t.equal(uriOf('"B" <sip:b@h:5;transport=tcp>;tag=1'), 'sip:b@h:5;transport=tcp');
  t.equal(uriOf('sip:b@h;tag=1'), 'sip:b@h');
  t.same(splitList('<sip:a,b@h;lr>, "x,y" <sip:c@d>,sip:e'), ['<sip:a,b@h;lr>', '"x,y" <sip:c@d>', 'sip:e']);
  t.same(hostPortOf('sip:u@127.0.0.1:5080;transport=TCP'), { host: '127.0.0.1', port: 5080, transport: 'tcp' });
  t.same(hostPortOf('sip:example.com'), { host: 'example.com', port: undefined, transport: undefined });
  t.equal(hostPortOf('tel:+123'), null);
  t.same(endpointOf('sip:1.2.3.4', 'tcp'), { transport: 'tcp', address: '1.2.3.4', port: 5060 });
  t.equal(endpointOf('sip:host.example', 'udp'), null);
  t.same(hostPortOf('sips:u@10.0.0.2'), { host: '10.0.0.2', port: undefined, transport: 'tls' });
  t.same(endpointOf('sip:1.2.3.4;transport=tls', 'udp'), { transport: 'tls', address: '1.2.3.4', port: 5061 });
  t.same(endpointOf('sips:1.2.3.4:5071', 'udp'), { transport: 'tls', address: '1.2.3.4', port: 5071 });
  t.ok(isLooseRoute('<sip:p1@h;lr>'));
  t.notOk(isLooseRoute('<sip:p1@h>'));
  t.same(parseCSeq('12 invite'), { seq: 12, method: 'INVITE' });
  t.equal(parseCSeq('x INVITE'), null);
});

t.test('dialog id follows drachtio-server', async (t) => {
  t.equal(new Dialog(base).id, dialogIdOf('c1', 'L'), 'uac: our From tag');
  t.equal(new Dialog({ ...base, role: 'uas' }).id, 'c1;from-tag=R', 'uas: the caller tag');
});

t.test('in-dialog requests (RFC 3261 12.2.1.1)', async (t) => {
  const d = new Dialog({ ...base, routeSet: ['<sip:p1@10.0.0.9;lr>', '<sip:p2@10.0.0.8;lr>'] });
  const app = parseText('BYE sip:placeholder SIP/2.0\r\nVia: bogus\r\nCSeq: 99 BYE\r\nX-Foo: bar\r\n\r\n');
  if (!app) throw new Error('parse');
  const bye = d.buildRequest('BYE', app);
  t.equal(bye.startLine, 'BYE sip:b@10.0.0.2:5070 SIP/2.0', 'remote target as R-URI');
  t.equal(getHeader(bye, 'cseq'), '6 BYE', 'CSeq incremented, app value replaced');
  t.equal(getHeader(bye, 'via'), undefined, 'no app Via');
  t.same(getAllHeaders(bye, 'route'), ['<sip:p1@10.0.0.9;lr>', '<sip:p2@10.0.0.8;lr>']);
  t.equal(getHeader(bye, 'from'), base.localAddr);
  t.equal(getHeader(bye, 'to'), base.remoteAddr);
  t.equal(getHeader(bye, 'x-foo'), 'bar', 'app headers kept');
  t.equal(getHeader(bye, 'contact'), undefined, 'no Contact on BYE');

  const reinvite = d.buildRequest('INVITE', { startLine: '', headers: [], body: 'v=0\r\n' });
  t.equal(getHeader(reinvite, 'cseq'), '7 INVITE');
  t.equal(getHeader(reinvite, 'contact'), base.localContact);
  t.equal(getHeader(reinvite, 'content-type'), 'application/sdp');
  const ack = d.buildRequest('ACK', { startLine: '', headers: [], body: '' });
  t.equal(getHeader(ack, 'cseq'), '7 ACK', 'ACK reuses the INVITE sequence');
  t.match(renderText(ack), /Content-Length: 0\r\n\r\n$/);
});

t.test('strict route goes into the Request-URI', async (t) => {
  const d = new Dialog({ ...base, routeSet: ['<sip:strict@10.0.0.9>', '<sip:p2@10.0.0.8;lr>'] });
  const m = d.buildRequest('BYE', { startLine: '', headers: [], body: '' });
  t.equal(m.startLine, 'BYE sip:strict@10.0.0.9 SIP/2.0');
  t.same(getAllHeaders(m, 'route'), ['<sip:p2@10.0.0.8;lr>', '<sip:b@10.0.0.2:5070>']);
});

t.test('remote CSeq ordering and target refresh', async (t) => {
  const d = new Dialog({ ...base, role: 'uas', remoteSeq: 10 });
  t.ok(d.acceptRemoteSeq(11, 'INFO'));
  t.notOk(d.acceptRemoteSeq(10, 'INFO'), 'lower than last seen');
  t.ok(d.acceptRemoteSeq(10, 'ACK'), 'ACK exempt');
  d.refreshTarget('<sip:new@10.0.0.3:6000>');
  t.equal(d.init.remoteTarget, 'sip:new@10.0.0.3:6000');
});

t.test('store indexes and cleanup', async (t) => {
  const s = new DialogStore();
  const a = new Dialog(base);
  const b = new Dialog({ ...base, callId: 'c2', owner: 'app2' });
  s.add(a);
  s.add(b);
  t.equal(s.size, 2);
  t.equal(s.match('c1', 'L'), a, 'network match by Call-ID + our tag');
  t.equal(s.match('c1', 'R'), undefined);
  t.same(s.ownedBy('app2'), [b]);
  s.remove(a);
  s.remove(a);
  t.equal(s.size, 1);
  t.equal(s.match('c1', 'L'), undefined);
  t.equal(a.state, 'terminated');
  s.clear();
  t.equal(s.size, 0);
});

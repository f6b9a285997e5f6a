import t from 'tap';
import { buildUploadUrl, contentTypeFor, recordingName, redactUrl, uriEncode, GREGORIAN_UNIX_OFFSET, type UrlFields } from '../../../src/delivery/url';

const f: UrlFields = {
  callId: 'abc123',
  format: 'mp3',
  accountId: 'acc1',
  recordingId: '202611-ff',
  cdrId: '202611-abc123',
  from: '1000@example.com',
  to: '2000@example.com',
  callerIdName: 'Alice',
  callerIdNumber: '1000',
  ownerId: 'own1',
  startedAt: 1_700_000_000_000,
  durationMs: 61_500,
};
const start = 1_700_000_000 + GREGORIAN_UNIX_OFFSET;
const q = (s1: string, s2: string): string =>
  `${s1}call_recording_abc123.mp3${s2}from=1000%40example.com&to=2000%40example.com&caller_id_name=Alice&caller_id_number=1000` +
  `&call_id=abc123&cdr_id=202611-abc123&interaction_id=&owner_id=own1&account_id=acc1&start=${start}&duration_ms=61500&recording_id=202611-ff`;

t.test('Kazoo URL building (kzc_recording.erl + kz_att_http.erl)', (t) => {
  const table: Array<[string, string, string]> = [
    ['plain base URL gets /name?params', 'http://h.example/rec', `http://h.example/rec/${q('', '?')}`],
    ['trailing slash is stripped before the /', 'http://h.example/rec/', `http://h.example/rec/${q('', '?')}`],
    ['several trailing slashes are all stripped', 'http://h.example/rec///', `http://h.example/rec/${q('', '?')}`],
    ['host only', 'https://h.example', `https://h.example/${q('', '?')}`],
    ['existing query k=v: &recording=name then &params', 'http://h.example/up?token=xyz', `http://h.example/up?token=xyz${q('&recording=', '&')}`],
    ['existing query ending k=: the name is its value', 'http://h.example/up?a=1&file=', `http://h.example/up?a=1&file=${q('', '&')}`],
    ['existing query ending with a bare key: =name', 'http://h.example/up?a=1&upload', `http://h.example/up?a=1&upload${q('=', '&')}`],
    ['path ending / with a query keeps the /', 'http://h.example/up/?t=1', `http://h.example/up/?t=1${q('&recording=', '&')}`],
    ['fragment dropped', 'http://h.example/rec#frag', `http://h.example/rec/${q('', '?')}`],
    ['bare ? treated as no query', 'http://h.example/rec?', `http://h.example/rec/${q('', '?')}`],
  ];
  for (const [name, base, want] of table) t.equal(buildUploadUrl(base, f), want, name);
  t.end();
});

t.test('field values are encoded; absent fields leave their key with nothing', (t) => {
  const url = buildUploadUrl('http://h/r', {
    callId: 'a b@c;d/é',
    format: 'wav',
    accountId: 'acc',
    recordingId: 'rid',
    cdrId: 'cdr',
  });
  t.equal(
    url,
    'http://h/r/call_recording_a%20b%40c%3Bd%2F%C3%A9.wav?from=&to=&caller_id_name=&caller_id_number=' +
      '&call_id=a%20b%40c%3Bd%2F%C3%A9&cdr_id=cdr&interaction_id=&owner_id=&account_id=acc&start=&duration_ms=&recording_id=rid',
  );
  t.end();
});

t.test('uriEncode follows http_uri:encode reserved set', (t) => {
  const table: Array<[string, string]> = [
    ['abcXYZ019-_.~', 'abcXYZ019-_.~'],
    ['!*()$', '!*()$'], // not in Erlang's reserved set: left alone
    [';:@&=+,/?#[]<>"{}|\\\'^% ', '%3B%3A%40%26%3D%2B%2C%2F%3F%23%5B%5D%3C%3E%22%7B%7D%7C%5C%27%5E%25%20'],
    ['\n\t', '%0A%09'],
    ['ü', '%C3%BC'],
  ];
  for (const [input, want] of table) t.equal(uriEncode(input), want, JSON.stringify(input));
  t.end();
});

t.test('content type and name as Kazoo derives them', (t) => {
  t.equal(contentTypeFor('mp3'), 'audio/mpeg');
  t.equal(contentTypeFor('wav'), 'audio/x-wav');
  t.equal(recordingName('x@y', 'wav'), 'call_recording_x%40y.wav');
  t.end();
});

t.test('redactUrl: userinfo of every URL in a text becomes ***, nothing else changes', async (t) => {
  const rows: [string, string, string][] = [
    ['user and password', 'https://user:pass@rec.example.com/up', 'https://***@rec.example.com/up'],
    ['user only', 'http://token@rec.example.com/up', 'http://***@rec.example.com/up'],
    ['no userinfo', 'https://rec.example.com/up?a=b', 'https://rec.example.com/up?a=b'],
    ['port kept', 'https://u:p@rec.example.com:8443/x', 'https://***@rec.example.com:8443/x'],
    ['raw @ in the password', 'https://u:p@ss@h.example/x', 'https://***@h.example/x'],
    ['raw / in the password', 'https://u:pa/ss@h.example/x', 'https://***@h.example/x'],
    ['@ in the query is not userinfo', 'https://h.example/x?mail=a@b.c', 'https://h.example/x?mail=a@b.c'],
    ['@ in the fragment is not userinfo', 'https://h.example/x#a@b', 'https://h.example/x#a@b'],
    ['empty password', 'https://u:@h.example/', 'https://***@h.example/'],
    ['URL inside a message', 'more than 5 redirects from https://u:secret@h.example/a', 'more than 5 redirects from https://***@h.example/a'],
    ['quoted URL inside a message', 'cannot parse URL "http://u:secret@[bad"', 'cannot parse URL "http://***@[bad"'],
    ['two URLs', 'http://a:1@x/ to https://b:2@y/', 'http://***@x/ to https://***@y/'],
    ['not a URL', 'user:pass@host', 'user:pass@host'],
    ['empty', '', ''],
  ];
  for (const [name, input, want] of rows) t.equal(redactUrl(input), want, name);
});

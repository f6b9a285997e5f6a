import t from 'tap';
import { EMPTY_SHA256, signV4 } from '../../../src/storage/s3/sigv4';

// AWS's published Signature Version 4 test suite (example.amazonaws.com, service "service",
// 2015-08-30T12:36:00Z) and the S3 documentation's GET Object example (2013-05-24).
const suite = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', region: 'us-east-1', service: 'service' };
const at = new Date(Date.UTC(2015, 7, 30, 12, 36, 0));
const pre = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ';

t.test('AWS SigV4 test-suite vectors', (t) => {
  const table: Array<[string, string, string, Array<[string, string]>, Record<string, string>, string]> = [
    ['get-vanilla', 'GET', '/', [], {}, 'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    ['post-vanilla', 'POST', '/', [], {}, 'SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
    ['get-vanilla-query-order-key-case', 'GET', '/', [['Param2', 'value2'], ['Param1', 'value1']], {}, 'SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
    ['post-header-value-case', 'POST', '/', [], { 'My-Header1': 'VALUE1' }, 'SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d'],
    ['get-header-value-trim', 'GET', '/', [], { 'My-Header1': ' value1', 'My-Header2': '"a   b   c"' }, 'SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736'],
    ['get-unreserved', 'GET', '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', [], {}, 'SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f'],
  ];
  for (const [name, method, path, query, headers, want] of table) {
    const h = signV4({ method, host: 'example.amazonaws.com', path, query, headers, payloadHash: EMPTY_SHA256 }, suite, at);
    t.equal(h.authorization, pre + want, name);
    t.equal(h['x-amz-date'], '20150830T123600Z');
  }
  t.end();
});

t.test('S3 documentation example: GET Object with a Range header', (t) => {
  const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', region: 'us-east-1', service: 's3' };
  const h = signV4({
    method: 'GET', host: 'examplebucket.s3.amazonaws.com', path: '/test.txt',
    headers: { range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA256 }, payloadHash: EMPTY_SHA256,
  }, creds, new Date(Date.UTC(2013, 4, 24)));
  t.equal(h.authorization, 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, '
    + 'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  const wrong = signV4({ method: 'GET', host: 'examplebucket.s3.amazonaws.com', path: '/test.txt', headers: { range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA256 }, payloadHash: EMPTY_SHA256 },
    { ...creds, secretAccessKey: 'x' }, new Date(Date.UTC(2013, 4, 24)));
  t.not(wrong.authorization, h.authorization, 'another secret, another signature');
  t.end();
});

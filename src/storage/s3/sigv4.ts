import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 (the "Authorization header" form), as specified in AWS's "Signature
 * Version 4 signing process" and, for S3, "Authenticating Requests (AWS Signature Version 4)".
 * Pure: the time is passed in. Checked against AWS's published test-suite vectors.
 */
export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly service: string;
}

export interface SigV4Request {
  readonly method: string;
  /** Host header value (host[:port]). */
  readonly host: string;
  /** The request path exactly as sent (already percent-encoded). */
  readonly path: string;
  readonly query?: ReadonlyArray<readonly [string, string]>;
  /** Further headers to sign (names any case), besides host and x-amz-date. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body (or UNSIGNED-PAYLOAD). */
  readonly payloadHash: string;
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 percent-encoding of everything but the unreserved set (what SigV4 asks for query names and values). */
export function uriEncode(s: string, keepSlash = false): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** 20150830T123600Z */
export function amzDate(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Headers to add to the request: x-amz-date and authorization (the caller sends host and the signed headers as given). */
export function signV4(req: SigV4Request, creds: SigV4Credentials, now: Date): { 'x-amz-date': string; authorization: string } {
  const date = amzDate(now);
  const day = date.slice(0, 8);
  const all = new Map<string, string>();
  for (const [k, v] of Object.entries(req.headers ?? {})) all.set(k.toLowerCase(), v);
  all.set('host', req.host);
  all.set('x-amz-date', date);
  const names = [...all.keys()].sort();
  // Values trimmed and inner runs of spaces collapsed (the suite's get-header-value-trim).
  const canonicalHeaders = names.map((n) => `${n}:${(all.get(n) as string).trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const query = [...(req.query ?? [])]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [req.method.toUpperCase(), req.path, query, canonicalHeaders, signedHeaders, req.payloadHash].join('\n');
  const scope = `${day}/${creds.region}/${creds.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, day), creds.region), creds.service), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  return {
    'x-amz-date': date,
    authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

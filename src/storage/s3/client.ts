import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import {
  ConnectionError, ConnectTimeoutError, DeliveryError, HttpStatusError, TransferTimeoutError, UrlInvalidError, AbortedError,
} from '../../delivery/errors';
import type { NetworkPolicy } from '../../delivery/netpolicy';
import { lookupFor, resolveChecked, type UploadOptions } from '../../delivery/uploader';
import { sha256Hex, signV4, uriEncode } from './sigv4';

/** What an S3 upload needs: the account's credentials (secret included) and the delivery limits. */
export interface S3Target {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly pathStyle: boolean;
}

export interface S3ClientOptions {
  policy: NetworkPolicy;
  connectTimeoutMs: number;
  transferTimeoutMs: number;
  ca?: Buffer;
  rejectUnauthorized?: boolean;
  signal?: AbortSignal;
  resolve?: UploadOptions['resolve'];
  now?: () => Date;
}

/** s3://bucket/prefix -> bucket and key prefix (no leading or trailing slash). */
export function parseS3Url(raw: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/[^?#]*)?$/.exec(raw);
  if (!m) throw new UrlInvalidError(`not an s3://bucket[/prefix] URL: ${JSON.stringify(raw)}`);
  return { bucket: m[1], prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

/** AWS's endpoint when none is configured. */
export function endpointOf(t: Pick<S3Target, 'endpoint' | 'region'>): string {
  return t.endpoint || `https://s3.${t.region}.amazonaws.com`;
}

export interface S3Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One signed S3 request with a body held in memory (parts are bounded by the part size). */
export async function s3Request(
  t: S3Target, o: S3ClientOptions, method: string, bucket: string, key: string,
  query: Array<[string, string]>, headers: Record<string, string>, body: Buffer,
): Promise<S3Response> {
  const base = new URL(endpointOf(t));
  const host = t.pathStyle ? base.host : `${bucket}.${base.host}`;
  const path = `${t.pathStyle ? `/${uriEncode(bucket)}` : ''}/${uriEncode(key, true)}`;
  const url = new URL(`${base.protocol}//${host}${path}`);
  for (const [k, v] of query) url.searchParams.append(k, v);
  // The endpoint's host goes through the delivery network policy like any upload URL.
  const target = await resolveChecked(url, o.policy, o.resolve);
  const payloadHash = sha256Hex(body);
  const signed = { ...headers, 'x-amz-content-sha256': payloadHash };
  const auth = signV4({ method, host, path, query, headers: signed, payloadHash },
    { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey, region: t.region, service: 's3' }, (o.now ?? (() => new Date()))());
  const qs = query.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
  return send(target, o, {
    method, path: qs ? `${path}?${qs}` : path,
    headers: { ...signed, ...auth, host, 'content-length': String(body.length) },
  }, body);
}

function send(target: Awaited<ReturnType<typeof resolveChecked>>, o: S3ClientOptions, r: { method: string; path: string; headers: Record<string, string> }, body: Buffer): Promise<S3Response> {
  return new Promise((resolve, reject) => {
    const isHttps = target.url.protocol === 'https:';
    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;
    const finish = (err: DeliveryError | null, res?: S3Response): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      o.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(res as S3Response);
    };
    const onAbort = (): void => finish(new AbortedError());
    const req = (isHttps ? https : http).request({
      host: target.host, port: target.url.port || (isHttps ? 443 : 80), method: r.method, path: r.path, headers: r.headers,
      agent: false, lookup: lookupFor(target),
      ...(isHttps ? { ca: o.ca, rejectUnauthorized: o.rejectUnauthorized ?? true, servername: isIP(target.host) ? undefined : target.host } : {}),
    });
    o.signal?.addEventListener('abort', onAbort);
    req.on('socket', (socket) => {
      connectTimer = setTimeout(() => finish(new ConnectTimeoutError(o.connectTimeoutMs)), o.connectTimeoutMs);
      socket.setTimeout(o.transferTimeoutMs);
      socket.on('timeout', () => finish(new TransferTimeoutError(o.transferTimeoutMs)));
      socket.once(isHttps ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish(new ConnectionError(`${err.code ?? 'error'}: ${err.message}`)));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (text.length < 4096) text += c;
      });
      res.on('end', () => finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', (err: Error) => finish(new ConnectionError(err.message)));
    });
    req.end(body);
  });
}

/** S3 error bodies are XML: <Code>..</Code>; only the code goes into records and logs. */
export function s3Error(res: S3Response): HttpStatusError {
  const code = /<Code>([^<]{1,64})<\/Code>/.exec(res.body)?.[1] ?? '';
  return new HttpStatusError(res.status, code);
}

/** Reads a stream into pieces of `size` bytes (the last shorter), one at a time. */
export async function* pieces(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let buf: Buffer[] = [];
  let len = 0;
  for await (const chunk of stream) {
    let c = chunk as Buffer;
    while (len + c.length >= size) {
      const take = size - len;
      buf.push(c.subarray(0, take));
      yield Buffer.concat(buf, size);
      c = c.subarray(take);
      buf = [];
      len = 0;
    }
    if (c.length) {
      buf.push(c);
      len += c.length;
    }
  }
  if (len > 0) yield Buffer.concat(buf, len);
}

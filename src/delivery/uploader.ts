import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { urlToHttpOptions } from 'node:url';
import {
  AbortedError,
  ConnectionError,
  ConnectTimeoutError,
  DeliveryError,
  DnsError,
  HttpStatusError,
  TooManyRedirectsError,
  TransferTimeoutError,
  UrlInvalidError,
  UrlRefusedError,
} from './errors';
import type { NetworkPolicy } from './netpolicy';
import type { PlainFile } from './spool-files';
import type { UploadMethod } from './types';

export interface UploadOptions {
  url: string;
  method: UploadMethod;
  /** The recording's plaintext (decrypted as it streams when encrypted at rest). */
  body: PlainFile;
  contentType: string;
  policy: NetworkPolicy;
  connectTimeoutMs: number;
  transferTimeoutMs: number;
  maxRedirects: number;
  ca?: Buffer;
  rejectUnauthorized?: boolean;
  signal?: AbortSignal;
  /** Injected for tests of the policy; defaults to dns.lookup (the resolver the OS uses). */
  resolve?: (host: string) => Promise<Array<{ address: string; family: number }>>;
}

export interface UploadResult {
  status: number;
  bytes: number;
  /** The URL that finally answered 2xx (differs from `url` after redirects). */
  finalUrl: string;
}

export interface Target {
  url: URL;
  host: string;
  addresses: Array<{ address: string; family: 4 | 6 }>;
}

/** Parses the URL and checks it is something we are willing to send a recording to. */
export function parseTarget(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlInvalidError(`cannot parse URL ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UrlInvalidError(`unsupported scheme ${url.protocol} (http and https only)`);
  }
  return url;
}

/**
 * Resolves the host and checks every address against the policy. The connection is later made
 * to one of exactly these addresses (see lookupFor), so a DNS answer that changes between the
 * check and the connect (DNS rebinding) cannot reach an address that was not checked.
 */
export async function resolveChecked(url: URL, policy: NetworkPolicy, resolve: UploadOptions['resolve']): Promise<Target> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let found: Array<{ address: string; family: number }>;
  if (isIP(host)) {
    found = [{ address: host, family: isIP(host) }];
  } else {
    try {
      found = await (resolve ?? ((h: string) => dnsLookup(h, { all: true, verbatim: true })))(host);
    } catch (err) {
      throw new DnsError(host, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
    if (found.length === 0) throw new DnsError(host, 'no addresses');
  }
  for (const a of found) {
    const d = policy.check(a.address);
    if (!d.allowed) throw new UrlRefusedError(host, a.address, d.rule);
  }
  return { url, host, addresses: found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })) };
}

export function lookupFor(t: Target): LookupFunction {
  return ((_hostname: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    // Node 20 asks with all:true when autoSelectFamily (happy eyeballs) is on.
    if (opts && opts.all) cb(null, t.addresses);
    else cb(null, t.addresses[0].address, t.addresses[0].family);
  }) as unknown as LookupFunction;
}

const REDIRECTS = new Set([301, 302, 307, 308]);

/**
 * Sends the file to the URL by PUT or POST, following redirects (as kz_att_http.erl does for
 * 301/302, plus 307/308 which keep the method by definition, RFC 9110 section 15.4), each hop
 * checked against the policy. Resolves on 2xx; rejects with a DeliveryError otherwise.
 */
export async function upload(o: UploadOptions): Promise<UploadResult> {
  const size = o.body.size;
  const visited = new Set<string>();
  let current = o.url;
  for (let hop = 0; ; hop++) {
    if (o.signal?.aborted) throw new AbortedError();
    visited.add(current);
    const target = await resolveChecked(parseTarget(current), o.policy, o.resolve);
    const res = await sendOnce(target, o, size);
    if (res.status >= 200 && res.status <= 299) return { status: res.status, bytes: size, finalUrl: current };
    if (REDIRECTS.has(res.status) && res.location) {
      if (hop >= o.maxRedirects) throw new TooManyRedirectsError(`more than ${o.maxRedirects} redirects from ${o.url}`);
      const next = new URL(res.location, current).toString();
      if (visited.has(next)) throw new TooManyRedirectsError(`redirect loop at ${next}`);
      current = next;
      continue;
    }
    throw new HttpStatusError(res.status, res.body);
  }
}

interface RawResponse {
  status: number;
  location?: string;
  body: string;
}

function sendOnce(t: Target, o: UploadOptions, size: number): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const isHttps = t.url.protocol === 'https:';
    const base = urlToHttpOptions(t.url);
    const options: https.RequestOptions = {
      ...base,
      method: o.method.toUpperCase(),
      agent: false,
      lookup: lookupFor(t),
      headers: {
        'content-type': o.contentType,
        'content-length': String(size),
      },
      ...(isHttps ? { ca: o.ca, rejectUnauthorized: o.rejectUnauthorized ?? true, servername: isIP(t.host) ? undefined : t.host } : {}),
    };
    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;
    const file = o.body.open();
    const finish = (err: DeliveryError | null, res?: RawResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      o.signal?.removeEventListener('abort', onAbort);
      file.destroy();
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(res as RawResponse);
    };
    const onAbort = (): void => finish(new AbortedError());
    const req = (isHttps ? https : http).request(options);
    o.signal?.addEventListener('abort', onAbort);

    req.on('socket', (socket: Socket) => {
      const connected = (): void => {
        clearTimeout(connectTimer);
        // Idle timeout on an established connection: covers a stalled body and a slow answer.
        socket.setTimeout(o.transferTimeoutMs);
      };
      socket.on('timeout', () => finish(new TransferTimeoutError(o.transferTimeoutMs)));
      if (socket.connecting || (isHttps && !(socket as TLSSocket).encrypted)) {
        connectTimer = setTimeout(() => finish(new ConnectTimeoutError(o.connectTimeoutMs)), o.connectTimeoutMs);
        socket.once(isHttps ? 'secureConnect' : 'connect', connected);
      } else connected();
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      finish(new ConnectionError(`${err.code ?? 'error'}: ${err.message}`));
    });
    req.on('response', (res: http.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 512) body += chunk.slice(0, 512 - body.length);
      });
      res.on('end', () => {
        const loc = res.headers.location;
        finish(null, { status: res.statusCode ?? 0, location: typeof loc === 'string' ? loc : undefined, body: body.trim() });
      });
      res.on('error', (err: Error) => finish(new ConnectionError(err.message)));
    });
    file.on('error', (err: Error) => {
      // An AtRestError (tampered mid-stream) passes through as is: the queue quarantines the file.
      if (!settled) {
        settled = true;
        clearTimeout(connectTimer);
        o.signal?.removeEventListener('abort', onAbort);
        req.destroy();
        reject(err);
      }
    });
    // Streamed: the file is never held in memory whole.
    file.pipe(req);
  });
}

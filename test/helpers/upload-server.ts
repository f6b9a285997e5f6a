import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { freePort } from './ports';

/** One request the server saw (complete, or cut off when the client went away). */
export interface ReceivedUpload {
  method: string;
  /** Raw request target as sent (path + query, percent-encoding untouched). */
  url: string;
  path: string;
  /** Decoded query parameters (last value wins). */
  query: Record<string, string>;
  /** Raw query string without the '?'. */
  rawQuery: string;
  headers: http.IncomingHttpHeaders;
  /** The exact body bytes received. */
  body: Buffer;
  /** false when the connection ended before the body was complete. */
  complete: boolean;
  /** Status we answered, 0 when we never answered. */
  status: number;
}

export interface UploadServerOptions {
  host?: string;
  /** 0 (default) lets the OS choose. */
  port?: number;
  /** PEM key and certificate: serve https. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/**
 * A real HTTP(S) server receiving recording uploads for tests. It records every request with
 * its exact body bytes and can be told to fail, to answer slowly, to read slowly, or to be down
 * (not listening: connections are refused).
 */
export class UploadServer {
  readonly requests: ReceivedUpload[] = [];
  /** Bytes received so far by requests still in progress. */
  private readonly live = new Set<{ received: number }>();
  private failures: Array<{ status: number; location?: string }> = [];
  private delays: number[] = [];
  private bytesPerSecond: number | null = null;
  private successStatus = 200;
  private open = 0;
  /** Most requests in progress at once (from headers received to answer sent or connection lost). */
  peakConcurrent = 0;
  private readonly sockets = new Set<Socket>();
  private server: http.Server;
  private listening = false;

  private constructor(
    private readonly opts: UploadServerOptions,
    public port: number,
  ) {
    this.server = this.create();
  }

  static async start(opts: UploadServerOptions = {}): Promise<UploadServer> {
    // A probed port below 40000 rather than port 0: the OS's ephemeral range here reaches into
    // 40000+, which other processes on these machines use.
    const s = new UploadServer(opts, opts.port ?? (await freePort(opts.host ?? '127.0.0.1')));
    await s.up();
    return s;
  }

  get host(): string {
    return this.opts.host ?? '127.0.0.1';
  }

  /** Base URL, e.g. http://127.0.0.1:34567 */
  get url(): string {
    return `${this.opts.tls ? 'https' : 'http'}://${this.host}:${this.port}`;
  }

  /** The next n requests are answered with `status` (after their body has been read). */
  failNext(n: number, status = 500): void {
    for (let i = 0; i < n; i++) this.failures.push({ status });
  }

  /** The next n requests are answered with a redirect to `location`. */
  redirectNext(n: number, location: string, status = 302): void {
    for (let i = 0; i < n; i++) this.failures.push({ status, location });
  }

  /** The next requests wait this long (ms) after the body before answering, one entry per request. */
  delayNext(...ms: number[]): void {
    this.delays.push(...ms);
  }

  /** Read request bodies at about this rate; null reads as fast as possible. */
  throttle(bytesPerSecond: number | null): void {
    this.bytesPerSecond = bytesPerSecond;
  }

  /** Forgets pending failures, delays and throttling (recorded requests stay). */
  reset(): void {
    this.failures = [];
    this.delays = [];
    this.bytesPerSecond = null;
  }

  answerWith(status: number): void {
    this.successStatus = status;
  }

  /** Largest byte count among requests still being received. */
  bytesInProgress(): number {
    let max = 0;
    for (const l of this.live) max = Math.max(max, l.received);
    return max;
  }

  /**
   * Drops the bytes of every body received so far (their records stay): a long benchmark keeps
   * thousands of uploads, and holding them all would inflate the process it measures.
   */
  releaseBodies(): void {
    for (const r of this.requests) r.body = Buffer.alloc(0);
  }

  /** Requests answered 2xx with a complete body. */
  delivered(): ReceivedUpload[] {
    return this.requests.filter((r) => r.complete && r.status >= 200 && r.status < 300);
  }

  /** Stops listening and cuts open connections: clients get ECONNREFUSED / resets. */
  async down(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Listens (again) on the same port. */
  async up(): Promise<void> {
    if (this.listening) return;
    this.server = this.create();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', reject);
        const a = this.server.address();
        if (a && typeof a === 'object') this.port = a.port;
        resolve();
      });
    });
    this.listening = true;
  }

  async close(): Promise<void> {
    await this.down();
  }

  /** Polls `pred` until true; rejects after timeoutMs with `what` in the message. */
  async waitFor(pred: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`upload server: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private create(): http.Server {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.handle(req, res);
    const server = this.opts.tls ? https.createServer({ key: this.opts.tls.key, cert: this.opts.tls.cert }, handler) : http.createServer(handler);
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const rawQuery = q < 0 ? '' : target.slice(q + 1);
    const query: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(rawQuery)) query[k] = v;
    const rec: ReceivedUpload = {
      method: req.method ?? '',
      url: target,
      path: q < 0 ? target : target.slice(0, q),
      query,
      rawQuery,
      headers: req.headers,
      body: Buffer.alloc(0),
      complete: false,
      status: 0,
    };
    this.requests.push(rec);
    this.open++;
    this.peakConcurrent = Math.max(this.peakConcurrent, this.open);
    res.on('close', () => this.open--);
    const progress = { received: 0 };
    this.live.add(progress);
    const chunks: Buffer[] = [];
    const done = (): void => {
      this.live.delete(progress);
      rec.body = Buffer.concat(chunks);
    };
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      progress.received += chunk.length;
      if (this.bytesPerSecond) {
        req.pause();
        setTimeout(() => req.resume(), Math.ceil((chunk.length / this.bytesPerSecond) * 1000));
      }
    });
    req.on('error', () => done());
    req.on('close', () => {
      if (!rec.complete) done();
    });
    req.on('end', () => {
      rec.complete = true;
      done();
      const failure = this.failures.shift();
      const delay = this.delays.shift() ?? 0;
      const status = failure ? failure.status : this.successStatus;
      setTimeout(() => {
        if (res.destroyed) return;
        rec.status = status;
        res.writeHead(status, { 'content-type': 'text/plain', ...(failure?.location ? { location: failure.location } : {}) });
        res.end(failure ? 'failing on purpose' : 'stored');
      }, delay);
    });
  }
}

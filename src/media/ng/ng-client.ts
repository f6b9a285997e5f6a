import { Client, type NgDict } from 'rtpengine-client';
import { RtpengineError, RtpengineTimeout, MediaClosedError } from '../errors';

export type NgCommand =
  | 'ping' | 'offer' | 'answer' | 'delete' | 'query'
  | 'subscribeRequest' | 'subscribeAnswer' | 'unsubscribe'
  | 'playMedia' | 'blockMedia' | 'unblockMedia';

export interface NgTarget {
  host: string;
  port: number;
}

/**
 * One NG control channel (UDP, bencode) to one rtpengine instance, over npm rtpengine-client.
 *
 * Every command is bounded by `timeoutMs`: our own timer settles the promise with
 * RtpengineTimeout; the library is given a slightly longer timeout only so that it forgets the
 * pending cookie (otherwise a lost answer would leak its callback forever). `result: error`
 * answers become RtpengineError carrying rtpengine's `error-reason`.
 */
export class NgClient {
  private readonly client: Client;
  private closed = false;
  readonly label: string;

  constructor(readonly target: NgTarget, readonly timeoutMs: number, localAddress?: string) {
    this.label = `${target.host}:${target.port}`;
    this.client = new Client({
      // loopback targets get a loopback source: nothing of ours listens on other interfaces
      localAddress: localAddress ?? (target.host.startsWith('127.') ? '127.0.0.1' : target.host.includes(':') ? undefined : '0.0.0.0'),
      timeout: timeoutMs + 1000,
      rejectOnError: false,
    });
    // Late answers (after our timeout) and library-side timeouts are reported as 'error' events;
    // they are already accounted for by our own timer, so they must not crash the process.
    this.client.on('error', () => undefined);
  }

  async send(command: NgCommand, params: NgDict = {}): Promise<NgDict> {
    if (this.closed) throw new MediaClosedError(`NG client ${this.label}`);
    const sent = this.client[command](this.target, params);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RtpengineTimeout(command, this.label, this.timeoutMs)), this.timeoutMs);
    });
    try {
      const reply = await Promise.race([
        sent.catch((err: unknown) => {
          // The library reports its own timeout and socket errors as plain Errors.
          throw new RtpengineTimeout(command, `${this.label} (${err instanceof Error ? err.message : String(err)})`, this.timeoutMs);
        }),
        timeout,
      ]);
      if (reply.result === 'error') {
        throw new RtpengineError(command, typeof reply['error-reason'] === 'string' ? reply['error-reason'] : 'unknown');
      }
      return reply;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.client.close();
    } catch {
      // already closed socket: nothing to release
    }
  }
}

import type { Socket } from 'node:net';
import type { SipParseError } from '../errors';
import { TcpFramer } from '../message/framer';
import type { SipMessage } from '../message/message';
import type { ParseLimits } from '../message/parser';
import type { Endpoint, InboundContext } from './types';

export interface ConnectionHandlers {
  onMessage(msg: SipMessage, ctx: InboundContext): void;
  onMalformed(error: SipParseError, ctx: InboundContext): void;
  onClosed(conn: TcpConnection): void;
}

/** How long a connection we are closing for a protocol error may linger to flush a 400. */
const LINGER_MS = 2000;

/**
 * One TCP or TLS connection (accepted or opened by us). Frames the byte stream, answers keep-alive pings
 * (RFC 5626 3.5.1), closes itself on a framing/parse error, and after `idleMs` without traffic.
 */
export class TcpConnection {
  readonly key: string;
  readonly ctx: InboundContext;
  private readonly framer: TcpFramer;
  private closed = false;
  /** Send failures reported while the connect is still pending. */
  private pendingErrors: ((err: Error) => void)[] | null;

  constructor(
    readonly socket: Socket,
    remote: Endpoint,
    local: Endpoint,
    limits: ParseLimits,
    idleMs: number,
    private readonly handlers: ConnectionHandlers,
    connecting: boolean,
    /** A started message must be complete within this long (slow-drip peers are cut off). */
    private readonly partialMs: number,
  ) {
    this.key = connKey(remote.transport, remote.address, remote.port);
    this.ctx = { source: remote, local };
    this.framer = new TcpFramer(limits);
    this.pendingErrors = connecting ? [] : null;
    socket.setNoDelay(true);
    socket.setTimeout(idleMs, () => this.destroy());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      const pending = this.pendingErrors;
      this.pendingErrors = null;
      if (pending) for (const cb of pending) cb(err);
      this.destroy();
    });
    socket.on('close', () => this.destroy());
    // A TLS connection is usable once its handshake is done, not at TCP connect.
    if (connecting) socket.once(remote.transport === 'tls' ? 'secureConnect' : 'connect', () => { this.pendingErrors = null; });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  write(data: Buffer, onError?: (err: Error) => void): void {
    if (this.closed) {
      onError?.(new Error('connection closed'));
      return;
    }
    if (onError && this.pendingErrors) this.pendingErrors.push(onError);
    this.socket.write(data);
  }

  private partialTimer?: NodeJS.Timeout;

  private onData(chunk: Buffer): void {
    const outputs = this.framer.push(chunk);
    // The deadline runs from the start of the message now pending: completing any message
    // restarts it, so a busy stream whose chunks never align with messages is not cut off.
    if (this.framer.buffered === 0 || outputs.length > 0) {
      if (this.partialTimer) clearTimeout(this.partialTimer);
      this.partialTimer = undefined;
    }
    if (this.framer.buffered > 0 && !this.partialTimer) {
      this.partialTimer = setTimeout(() => this.destroy(), this.partialMs);
      this.partialTimer.unref();
    }
    for (const o of outputs) {
      if (this.closed) return;
      if (o.kind === 'message') this.handlers.onMessage(o.message, this.ctx);
      else if (o.kind === 'ping') this.socket.write('\r\n');
      else {
        // A peer that sends garbage or exceeds the limits is disconnected (after any 400 is flushed).
        this.handlers.onMalformed(o.error, this.ctx);
        this.closeGracefully();
        return;
      }
    }
  }

  private closeGracefully(): void {
    if (this.closed) return;
    this.markClosed();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }

  /** Idempotent. */
  destroy(): void {
    if (this.closed) return;
    this.markClosed();
    this.socket.destroy();
  }

  private markClosed(): void {
    this.closed = true;
    if (this.partialTimer) clearTimeout(this.partialTimer);
    this.handlers.onClosed(this);
  }
}

export function connKey(transport: string, address: string, port: number): string {
  return `${transport}|${address}|${port}`;
}

/** Node reports IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d; SIP wants a.b.c.d. */
export function normalizeAddress(a: string | undefined): string {
  if (!a) return '';
  return a.startsWith('::ffff:') && a.indexOf('.') > 0 ? a.slice(7) : a;
}

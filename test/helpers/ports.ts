import { createServer } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The tests' port plan, all below 32768: the OS's ephemeral range (Linux's default 32768-60999)
 * is where every `bind(0)` and outgoing connection lands, in any process, so a port probed there
 * and bound later can be taken in between; other processes on these machines use 5060 and 40000+.
 * Media takes ports as calls need them (rtpengine's and the recorder's blocks, RTP endpoints,
 * baresip). A port from `freePort` is probed now and bound later (a phone's SIP port is kept
 * from its REGISTER to its calls), so it is also claimed across the test files running in
 * parallel: two files never hold the same one. Both failures showed in CI as SIPp's
 * "Unable to bind main socket, errno = 98".
 */
export const MEDIA_PORTS = { min: 20000, max: 31999 } as const;
export const SIGNAL_PORTS = { min: 10000, max: 19999 } as const;

/** An even first port (RTP/RTCP pairs) of a random `size`-port block inside MEDIA_PORTS. */
export function mediaBlock(size: number): number {
  const span = MEDIA_PORTS.max + 1 - MEDIA_PORTS.min - size;
  return MEDIA_PORTS.min + 2 * Math.floor((Math.random() * span) / 2);
}

/**
 * Adjacent blocks of these sizes, in order, inside one random block of their sum (so they never
 * overlap, however large); a RangeError when they do not fit in MEDIA_PORTS together.
 */
export function mediaBlocks(...sizes: number[]): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const span = MEDIA_PORTS.max + 1 - MEDIA_PORTS.min;
  if (total > span) throw new RangeError(`blocks of ${sizes.join(' + ')} ports exceed the ${span} media ports`);
  let at = mediaBlock(total);
  return sizes.map((size) => {
    const first = at;
    at += size;
    return first;
  });
}

/**
 * A UDP socket bound now on a free even port among MEDIA_PORTS (even so that port+1 is the
 * implied RTCP port, RFC 3550 section 11), for RTP endpoints and test senders alike: `bind(0)`
 * would land in the ephemeral range, which reaches the 40000+ that other processes use.
 */
export async function boundUdp(host = '127.0.0.1'): Promise<Socket> {
  for (let i = 0; i < 200; i++) {
    const socket = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(mediaBlock(2), host, () => resolve(true));
    });
    if (ok) return socket;
    socket.close();
  }
  throw new Error('no free even port among the media ports');
}

/**
 * A port free for both UDP and TCP on `host`, inside SIGNAL_PORTS, claimed for this process
 * until it exits.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return freeRun(1, host);
}

/**
 * The first of `span` consecutive ports, each free and claimed as freePort's are: for SIPp's
 * `-mp`, which binds that port and the one two above it (its audio and video echo sockets).
 */
export async function freeRun(span: number, host = '127.0.0.1'): Promise<number> {
  // From a random start, every run of the plan once: parallel files rarely try the same ones.
  const starts = SIGNAL_PORTS.max + 2 - span - SIGNAL_PORTS.min;
  const first = Math.floor(Math.random() * starts);
  for (let i = 0; i < starts; i++) {
    const port = SIGNAL_PORTS.min + ((first + i) % starts);
    const run = Array.from({ length: span }, (_, k) => port + k);
    if (!claims.takeAll(run)) continue;
    if (await allFree(host, run)) return port;
    for (const p of run) claims.give(p);
  }
  throw new Error('no free port found');
}

async function allFree(host: string, ports: number[]): Promise<boolean> {
  for (const p of ports) if (!(await tcpFree(host, p)) || !(await udpFree(host, p))) return false;
  return true;
}

/** N distinct free ports. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) out.push(await freePort(host));
  return out;
}

/**
 * Claims as files created exclusively (`wx`) in one folder the test files share
 * (`$TMPDIR/b2bua-test-ports`), each holding its owner's pid, released when the owner exits. A claim left by a killed process is taken
 * over only under a lock folder (`mkdir` is atomic), so two files cannot both take it over.
 */
class PortClaims {
  private readonly dir = join(tmpdir(), 'b2bua-test-ports');
  private readonly held = new Set<number>();

  constructor() {
    mkdirSync(this.dir, { recursive: true });
    process.once('exit', () => { for (const p of this.held) this.unlink(p); });
  }

  /** Every port of `run`, or none of them. */
  takeAll(run: readonly number[]): boolean {
    for (let i = 0; i < run.length; i++) {
      if (this.take(run[i]!)) continue;
      for (const p of run.slice(0, i)) this.give(p);
      return false;
    }
    return true;
  }

  private take(port: number): boolean {
    if (this.held.has(port)) return false;
    if (!this.create(port) && !this.takeOver(port)) return false;
    this.held.add(port);
    return true;
  }

  give(port: number): void {
    if (this.held.delete(port)) this.unlink(port);
  }

  private create(port: number): boolean {
    try {
      writeFileSync(this.file(port), String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }

  private takeOver(port: number): boolean {
    const lock = join(this.dir, '.lock');
    try {
      mkdirSync(lock);
    } catch {
      // Held (for microseconds) by another file, or left by a killed one: a minute frees it.
      try { if (Date.now() - statSync(lock).mtimeMs > 60_000) rmdirSync(lock); } catch { /* gone */ }
      return false;
    }
    try {
      if (alive(ownerOf(this.file(port)))) return false;
      this.unlink(port);
      return this.create(port);
    } finally {
      rmdirSync(lock);
    }
  }

  private file(port: number): string {
    return join(this.dir, String(port));
  }

  private unlink(port: number): void {
    try { unlinkSync(this.file(port)); } catch { /* already gone */ }
  }
}

function ownerOf(file: string): number {
  try { return Number(readFileSync(file, 'utf8')) || 0; } catch { return 0; }
}

function alive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but is not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const claims = new PortClaims();

function tcpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

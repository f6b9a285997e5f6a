/**
 * The shipped SIP edge (deploy/kamailio/kamailio.cfg, Debian's kamailio), unchanged: only its
 * defines are set on the command line (-A), for a free loopback port and the test's node list.
 * Runs in the foreground under `setpriv --pdeathsig KILL` in a process group of its own, so
 * it dies with the test; `close()` stops it (SIGTERM to the group, SIGKILL after 5 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { boundUdp, freePort } from './ports';

export const KAMAILIO_CFG = resolve(__dirname, '..', '..', '..', 'deploy', 'kamailio', 'kamailio.cfg');

export interface EdgeOptions {
  /** `host:port` of each node (dispatcher set 1). */
  nodes: string[];
  /** Seconds between OPTIONS probes (PING_INTERVAL). */
  pingIntervalSec?: number;
  /** NODE_TIMEOUT_MS: a silent node is given up after this. */
  nodeTimeoutMs?: number;
  host?: string;
}

export interface TestEdge {
  host: string;
  port: number;
  /** host:port for SIPp's remote argument. */
  target: string;
  output(): string;
  close(): Promise<void>;
}

export async function startEdge(o: EdgeOptions, readyTimeoutMs = 10_000): Promise<TestEdge> {
  const host = o.host ?? '127.0.0.1';
  const port = await freePort(host);
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-'));
  const list = join(dir, 'dispatcher.list');
  writeFileSync(list, o.nodes.map((n) => `1 sip:${n} 0 0\n`).join(''));
  const args = [
    '--pdeathsig', 'KILL', '--', 'kamailio', '-f', KAMAILIO_CFG, '-DD', '-E', '-Y', dir, '-P', join(dir, 'kamailio.pid'),
    '-A', `LISTEN=udp:${host}:${port}`, '-A', `LISTEN_TCP=tcp:${host}:${port}`, '-A', `DISPATCHER_LIST="${list}"`,
    '-A', `PING_INTERVAL=${o.pingIntervalSec ?? 1}`, '-A', `NODE_TIMEOUT_MS=${o.nodeTimeoutMs ?? 1500}`,
  ];
  const proc: ChildProcess = spawn('setpriv', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const take = (d: Buffer): void => { out = (out + d.toString()).slice(-200_000); };
  proc.stdout?.on('data', take);
  proc.stderr?.on('data', take);
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  const kill = (sig: NodeJS.Signals): void => {
    try {
      if (proc.pid !== undefined) process.kill(-proc.pid, sig);
    } catch {
      // already gone
    }
  };
  // Ready once it answers an OPTIONS to itself.
  const end = Date.now() + readyTimeoutMs;
  let gone = false;
  void exited.then(() => { gone = true; });
  while (!(await optionsAnswered(host, port, 300))) {
    if (gone || Date.now() > end) {
      kill('SIGKILL');
      throw new Error(`kamailio not ready in ${readyTimeoutMs} ms: ${out.slice(-3000)}`);
    }
  }
  return {
    host, port, target: `${host}:${port}`, output: () => out,
    close: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        kill('SIGTERM');
        const hard = setTimeout(() => kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(hard);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Sends one out-of-dialog request over UDP from a fresh socket and resolves with the first
 * final response's text (null after timeoutMs; provisionals are skipped). `headers` go after
 * the standard ones (e.g. Contact, Expires).
 */
export async function sendRequest(host: string, port: number, method: string, timeoutMs: number, o: { callId?: string; headers?: string[] } = {}): Promise<string | null> {
  const sock = await boundUdp();
  const id = randomBytes(6).toString('hex');
  const local = sock.address().port;
  const msg = [
    `${method} sip:${host}:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${id};rport`,
    `From: <sip:probe@127.0.0.1>;tag=${id}`, `To: <sip:probe@127.0.0.1>`, `Call-ID: ${o.callId ?? `probe-${id}`}`, `CSeq: 1 ${method}`,
    'Max-Forwards: 70', ...(o.headers ?? []), 'Content-Length: 0', '', '',
  ].join('\r\n');
  try {
    return await new Promise<string | null>((res) => {
      const timer = setTimeout(() => res(null), timeoutMs);
      sock.on('message', (buf) => {
        const text = buf.toString();
        if (/^SIP\/2\.0 [2-6]/.test(text)) { clearTimeout(timer); res(text); }
      });
      sock.send(msg, port, host);
    });
  } finally {
    sock.close();
  }
}

/** Whether an OPTIONS to host:port gets a 200 within timeoutMs. */
export async function optionsAnswered(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return /^SIP\/2\.0 200/.test(await sendRequest(host, port, 'OPTIONS', timeoutMs) ?? '');
}

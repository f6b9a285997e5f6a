import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/**
 * The tests' port plan, all below 40000 (other processes on these machines use 5060 and 40000+).
 * Media takes ports as calls need them (rtpengine's and the recorder's blocks, RTP endpoints,
 * baresip); a port from `freePort` is probed now and bound later (a phone's SIP port is kept
 * from its REGISTER to its calls). Sharing one range let another test file's rtpengine take a
 * phone's port in between, and the phone's SIPp could not bind it: "no call arrived".
 */
export const MEDIA_PORTS = { min: 20000, max: 31999 } as const;
export const SIGNAL_PORTS = { min: 32000, max: 39999 } as const;

/** An even first port (RTP/RTCP pairs) of a random `size`-port block inside MEDIA_PORTS. */
export function mediaBlock(size: number): number {
  const span = MEDIA_PORTS.max + 1 - MEDIA_PORTS.min - size;
  return MEDIA_PORTS.min + 2 * Math.floor((Math.random() * span) / 2);
}

/** A port free for both UDP and TCP on `host`, inside SIGNAL_PORTS and never 5060. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const inPlan = (p: number): boolean => p >= SIGNAL_PORTS.min && p <= SIGNAL_PORTS.max;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tcpEphemeral(host);
    if (!inPlan(port)) continue;
    if (await udpFree(host, port)) return port;
  }
  // The OS's ephemeral range misses SIGNAL_PORTS on this machine: probe random ports in it.
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = SIGNAL_PORTS.min + Math.floor(Math.random() * (SIGNAL_PORTS.max + 1 - SIGNAL_PORTS.min));
    if ((await tcpFree(host, port)) && (await udpFree(host, port))) return port;
  }
  throw new Error('no free port found');
}

/** N distinct free ports. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort(host));
  return [...out];
}

function tcpEphemeral(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

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

import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/**
 * A port free for both UDP and TCP on 127.0.0.1, chosen by the OS and kept below 40000
 * (other processes on these machines use 5060 and the 40000+ range).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tcpEphemeral(host);
    if (port >= 40000 || port === 5060) continue;
    if (await udpFree(host, port)) return port;
  }
  // Ephemeral range is above 40000 on this machine: probe a random port in 20000-39999 instead.
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
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

/**
 * The signalling app on a real embedded engine for integration tests: Engine on free loopback
 * ports, drachtio-srf connected to it over the wire protocol, Signalling mounted, and a call
 * handler that answers authenticated INVITEs and remembers who the caller was.
 */
import { writeFileSync } from 'node:fs';
import Srf from 'drachtio-srf';
import pino from 'pino';
import { parseConfig } from '../../../src/config';
import { Engine } from '../../../src/engine/engine';
import { MemoryDirectory } from '../../../src/directory/memory-directory';
import type { Directory } from '../../../src/directory/types';
import { callerOf, Signalling, type Caller } from '../../../src/signalling';
import { waitFor as wait } from '../../helpers/wait';
import { freePort } from '../../helpers/ports';

export const SECRET = 'signalling-test';

const ANSWER_SDP = [
  'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 30000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', '',
].join('\r\n');

export interface Rig {
  sipPort: number;
  /** The in-memory directory (unused by signalling when another directory was passed in). */
  directory: MemoryDirectory;
  signalling: Signalling;
  srf: Srf;
  callers: Caller[];
  close(): Promise<void>;
}

export function testDirectory(): MemoryDirectory {
  return new MemoryDirectory({
    accounts: [{ id: 'acc-a', name: 'A', realm: 'a.test' }, { id: 'acc-b', name: 'B', realm: 'b.test' }],
    users: [{ id: 'user-1', account_id: 'acc-a', first_name: 'Ann' }],
    devices: [
      { id: 'dev-1001', account_id: 'acc-a', owner_id: 'user-1', sip: { username: '1001', password: 'secret1001' } },
      { id: 'dev-2001', account_id: 'acc-b', sip: { username: '2001', password: 'secret2001' } },
    ],
  });
}

function connect(port: number): Promise<Srf> {
  const srf = new Srf();
  return new Promise<Srf>((resolve, reject) => {
    const timer = setTimeout(() => { srf.disconnect(); reject(new Error('srf connect timeout')); }, 5000);
    srf.on('connect', (err: Error | null) => {
      clearTimeout(timer);
      if (err) reject(err); else resolve(srf);
    });
    srf.on('error', () => undefined);
    srf.connect({ host: '127.0.0.1', port, secret: SECRET });
  });
}

export async function startRig(signallingConfig: Record<string, unknown> = {}, directoryOverride?: Directory): Promise<Rig> {
  const sipPort = await freePort();
  const drachtioPort = await freePort();
  const cfg = parseConfig({
    logLevel: 'silent',
    engine: {
      sip: { listen: [{ host: '127.0.0.1', port: sipPort, transports: ['udp', 'tcp'] }] },
      drachtio: { host: '127.0.0.1', port: drachtioPort, secret: SECRET },
    },
    signalling: signallingConfig,
  });
  const logger = pino({ level: process.env.SIGNALLING_TEST_LOG ?? 'silent' });
  const engine = new Engine(cfg.engine, logger);
  await engine.start();
  const directory = testDirectory();
  const signalling = new Signalling({ config: cfg.signalling, directory: directoryOverride ?? directory, logger, contactHostPort: `127.0.0.1:${sipPort}` });
  let srf: Srf;
  try {
    srf = await connect(drachtioPort);
  } catch (err) {
    await engine.close();
    throw err;
  }
  signalling.mount(srf);
  const callers: Caller[] = [];
  srf.invite((req, res) => {
    const caller = callerOf(req);
    if (caller) callers.push(caller);
    srf.createUAS(req, res, { localSdp: ANSWER_SDP }).catch(() => undefined);
  });
  return {
    sipPort, directory, signalling, srf, callers,
    close: async () => {
      await signalling.close();
      srf.disconnect();
      await engine.close();
    },
  };
}

/** Writes a SIPp injection file and returns its path. */
export function csv(dir: string, name: string, rows: string[][]): string {
  const path = `${dir}/${name}`;
  writeFileSync(path, `SEQUENTIAL\n${rows.map((r) => r.join(';')).join('\n')}\n`);
  return path;
}

/** helpers/wait.ts's poll, with the signalling tests' longer bound. */
export function waitFor(cond: () => boolean, timeoutMs = 15000): Promise<boolean> {
  return wait(cond, timeoutMs);
}

import pino from 'pino';
import { freePort, mediaBlock } from '../../helpers/ports';
import { parseConfig } from '../../../src/config';
import type { MediaConfig } from '../../../src/config/sections/media';

export const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * A media config for tests: free NG port, a random 200-port RTP range among the tests' media
 * ports, with room for supervisor.test's second engine 100 ports up.
 */
export async function testMediaConfig(overrides: Partial<MediaConfig['local']> = {}): Promise<MediaConfig> {
  const ngPort = await freePort();
  const portMin = mediaBlock(300);
  const cfg = parseConfig({
    media: {
      mode: 'local',
      local: { ngPort, portMin, portMax: portMin + 199, logLevel: 4, restartBackoffMs: 50, ...overrides },
      commandTimeoutMs: 2000,
    },
  });
  return JSON.parse(JSON.stringify(cfg.media)) as MediaConfig;
}

/** An SDP offer/answer body of a plain phone at 127.0.0.1:port. */
export function phoneSdp(port: number, codec: 'PCMU' | 'G722', direction = 'sendrecv'): string {
  const pt = codec === 'PCMU' ? 0 : 9;
  return [
    'v=0', `o=- ${port} 1 IN IP4 127.0.0.1`, 's=phone', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${port} RTP/AVP ${pt} 101`, `a=rtpmap:${pt} ${codec}/8000`, 'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16', 'a=ptime:20', `a=${direction}`, '',
  ].join('\r\n');
}

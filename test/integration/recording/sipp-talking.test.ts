/**
 * The talking phone scenarios (sipp-scenarios/phone-call-tone.xml, phone-answer-tone.xml) as the
 * README runs them by hand: SIPp itself streams each phone's tone (rtp_stream, raw u-law), the
 * service records the call, and the uploaded file has the caller's 1 kHz on the left and the
 * callee's 400 Hz on the right for most of the 4 s the call talks.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { linearToUlaw } from '../../../src/recorder/g711';
import { freePort } from '../../helpers/ports';
import { SCENARIO_DIR, runSipp, sippMediaPort, startSipp } from '../../helpers/sipp';
import { csv, registerPhone } from '../calls/setup';
import { goertzel, toneSpan } from './media';
import { CALLEE_TONE, CALLER_TONE, REALM, decodeBody, setRecording, startRecordingEnv } from './setup';

/** 2 s of a tone as raw G.711 u-law (what `sox -n -r 8000 -e u-law -t raw f synth 2 sine <freq>` writes). */
function toneFile(dir: string, freq: number): string {
  const out = Buffer.alloc(16000);
  for (let i = 0; i < out.length; i++) out[i] = linearToUlaw(Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / 8000)));
  const path = join(dir, `tone${freq}.ulaw`);
  writeFileSync(path, out);
  return path;
}

/** The template with @PCAP@ substituted, as the README's sed line does. */
function fromTemplate(dir: string, name: string, audio: string): string {
  const path = join(dir, name);
  writeFileSync(path, readFileSync(join(SCENARIO_DIR, name), 'utf8').replace(/@PCAP@/g, audio));
  return path;
}

t.test('phone-call-tone.xml to phone-answer-tone.xml: both phones are heard in the recording', async (t) => {
  const env = await startRecordingEnv();
  t.teardown(() => env.close());
  const { svc, upload, w } = env;
  await setRecording(svc, 'accounts', w.accountId, { account: { inbound: { onnet: { enabled: true, url: `${upload.url}/talk`, format: 'wav' } } } });
  const dir = mkdtempSync(join(tmpdir(), 'sipp-talk-'));
  const callee = await registerPhone(svc, '2001');
  callee.rtp.close(); // SIPp streams from its own port
  const answer = startSipp({
    scenario: fromTemplate(dir, 'phone-answer-tone.xml', toneFile(dir, CALLEE_TONE)), localPort: callee.port, timeoutMs: 30_000,
    args: ['-m', '1', '-mp', String(await sippMediaPort())],
  });
  const call = await runSipp({
    scenario: fromTemplate(dir, 'phone-call-tone.xml', toneFile(dir, CALLER_TONE)), remote: svc.sipTarget, localPort: await freePort(), timeoutMs: 30_000,
    args: ['-m', '1', '-mp', String(await sippMediaPort()), '-inf', csv(['1001', REALM, 'pw-1001', '2000', '0']), '-au', '1001', '-ap', 'pw-1001', '-auth_uri', `2000@${REALM}`],
  });
  t.equal(call.code, 0, `caller: ${call.errors}`);
  t.equal((await answer.done).code, 0, 'callee');
  await upload.waitFor(() => upload.delivered().some((u) => u.path.startsWith('/talk/')), 20_000, 'the recording');
  const up = upload.delivered().find((u) => u.path.startsWith('/talk/'));
  if (!up) throw new Error('no upload');
  const d = decodeBody(up.body, 'wav');
  t.equal(d.channels, 2);
  const [left, right] = d.ch;
  t.ok(goertzel(left, d.sampleRate, CALLER_TONE) > 20 * goertzel(left, d.sampleRate, CALLEE_TONE), 'left: the caller phone\'s 1 kHz');
  t.ok(goertzel(right, d.sampleRate, CALLEE_TONE) > 20 * goertzel(right, d.sampleRate, CALLER_TONE), 'right: the callee phone\'s 400 Hz');
  for (const [name, ch, f] of [['caller', left, CALLER_TONE], ['callee', right, CALLEE_TONE]] as const) {
    const span = toneSpan(ch, d.sampleRate, f);
    t.ok(span.lastSec - span.firstSec >= 3, `${name}: tone through most of the 4 s talk (${(span.lastSec - span.firstSec).toFixed(2)} s)`);
  }
});

import t from 'tap';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePorts } from '../../helpers/ports';
import { startSipp, runSipp } from '../../helpers/sipp';
import { EncoderPool } from '../../../src/recorder/encoder/pool';
import { RecordingSession } from '../../../src/recorder/session';
import { writeTonePcap } from '../../helpers/pcap';
import { decode, rms } from './decode';
import { dominant } from '../../unit/recorder/dsp';

// Scenario templates live next to this test's source (dist/test/... -> test/...).
const TEMPLATES = resolve(__dirname, '..', '..', '..', '..', 'test', 'integration', 'recorder', 'sipp');

const dir = mkdtempSync(join(tmpdir(), 'rec-sipp-'));
const pool = new EncoderPool(1);
t.teardown(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

function scenario(name: string, subst: Record<string, string>): string {
  let xml = readFileSync(join(TEMPLATES, name), 'utf8');
  for (const [k, v] of Object.entries(subst)) xml = xml.split(`@${k}@`).join(v);
  const out = join(dir, name);
  writeFileSync(out, xml);
  return out;
}

t.test('SIPp call: caller plays 1 kHz PCMU, callee 400 Hz PCMA (play_pcap_audio) into a RecordingSession', async (t) => {
  const [callerRtp, calleeRtp, uasSip, uacSip, uasMedia, uacMedia] = await freePorts(6);
  const session = new RecordingSession({ callId: 'sipp-pcap', pool, ports: { caller: callerRtp, callee: calleeRtp }, jitterMs: 100, spoolDir: dir });
  await session.start();
  const rec = session.record({ format: 'mp3', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 });
  const wav = session.record({ format: 'wav', sampleRate: 16000, channels: 'stereo', timeLimitSec: 3600, minSec: 0 });
  writeTonePcap(join(dir, 'caller.pcap'), { pt: 0, freq: 1000, packets: 100, ssrc: 0x1111 });
  writeTonePcap(join(dir, 'callee.pcap'), { pt: 8, freq: 400, packets: 100, ssrc: 0x2222 });
  const uas = startSipp({
    scenario: scenario('uas-pcap.xml', { PCAP: join(dir, 'callee.pcap') }),
    localPort: uasSip,
    args: ['-m', '1', '-key', 'caller_port', String(callerRtp), '-mi', '127.0.0.1', '-mp', String(uasMedia)],
    timeoutMs: 30000,
  });
  const t0 = performance.now();
  rec.begin();
  wav.begin();
  const uac = await runSipp({
    scenario: scenario('uac-pcap.xml', { PCAP: join(dir, 'caller.pcap'), MS: '2300' }),
    remote: `127.0.0.1:${uasSip}`,
    localPort: uacSip,
    args: ['-m', '1', '-key', 'callee_port', String(calleeRtp), '-mi', '127.0.0.1', '-mp', String(uacMedia)],
    timeoutMs: 30000,
  });
  const uasResult = await uas.done;
  t.equal(uac.stats?.successful, 1, `UAC call completed ${uac.errors}`);
  t.equal(uasResult.stats?.successful, 1, `UAS call completed ${uasResult.errors}`);
  // The files end where close() is called; finalizing (lame) may take long on a loaded machine.
  const expected = (performance.now() - t0) / 1000;
  const [rm, rw] = await session.close('hangup');
  t.same([rw.legs.caller.received, rw.legs.caller.lost, rw.legs.callee.received, rw.legs.callee.lost], [100, 0, 100, 0], 'every packet SIPp sent was recorded');
  for (const [r, label] of [[rm, 'MP3'], [rw, 'WAV']] as const) {
    const d = decode(r.path);
    t.same([d.sampleRate, d.channels], [16000, 2], `${label}: 16 kHz stereo`);
    t.ok(Math.abs(d.durationSec - expected) < 0.1, `${label}: duration ${d.durationSec.toFixed(3)} ~ ${expected.toFixed(3)}`);
    // Find where the caller's audio starts and check the 2 s it lasted.
    const start = d.ch[0].findIndex((v) => Math.abs(v) > 1000);
    const body = (c: number) => d.ch[c].subarray(start + 1600, start + 30400);
    t.equal(dominant(body(0), 16000, [400, 1000]), 1000, `${label}: caller 1 kHz on the left`);
    t.equal(dominant(body(1), 16000, [400, 1000]), 400, `${label}: callee 400 Hz on the right`);
    if (label === 'WAV') {
      const gaps: number[] = [];
      for (let k = 1; k < 99; k++) if (rms(d.ch[0], start + k * 320 + 64, start + k * 320 + 256) < 3000) gaps.push(k);
      t.same(gaps, [], 'WAV: no gap in the caller channel');
    }
  }
});

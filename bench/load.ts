/**
 * `npm run load` (node dist/bench/load.js): a mixed, recorded load against the service running
 * as its own process (`node dist/src/main.js`, embedded engine, supervised rtpengine), all on
 * loopback, bounded in time and in calls.
 *
 *  1. Provisioning through the REST API (bootstrap key): an account whose recording rule records
 *     every call (account inbound from onnet and from offnet), LOAD_PHONES devices with one
 *     number each, a calling carrier (127.0.0.2) and an answering carrier (127.0.0.3, numbers
 *     1555xxxxxxx).
 *  2. Every phone registers (SIPp phone-register.xml, digest auth, credentials from the CSV of
 *     the users created) from one SIPp port, where one SIPp UAS then answers as every phone.
 *  3. For LOAD_SECONDS, three SIPp callers at LOAD_CPS calls/s each, every call holding
 *     LOAD_HOLD_SECONDS with a tone both ways (play_pcap_audio): phone -> phone (onnet->onnet),
 *     phone -> carrier (onnet->offnet), carrier -> phone DID (offnet->onnet).
 *  4. Waits for every recording to be finalized and uploaded (test/helpers/upload-server.ts),
 *     then prints calls/s, concurrent calls (peak and mean), recordings completed/uploaded,
 *     RTP packets missing from the files (lost + late in the recorder's jitter buffers), and
 *     CPU and peak memory per process (service, rtpengine, each SIPp) from /proc.
 *
 * Parameters (environment): LOAD_PHONES (20), LOAD_SECONDS (30), LOAD_CPS (1, per direction),
 * LOAD_HOLD_SECONDS (10), LOAD_FORMAT (mp3|wav, mp3), LOAD_MAX_CALLS (600, per direction cap).
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/helpers/ports';
import { SCENARIO_DIR, runSipp, startSipp, type SippProcess, type SippResult } from '../test/helpers/sipp';
import { UploadServer } from '../test/helpers/upload-server';
import { writeTonePcap } from '../test/helpers/pcap';
import { childEnv, startChild, waitExit } from '../test/integration/ops/fixtures/child-service';
import { sample, total } from '../test/integration/ops/fixtures/prom-text';
import { phoneCallScenario } from '../test/integration/ops/fixtures/load-scenario';
import { ProcSampler } from '../test/integration/ops/fixtures/proc-sampler';

const num = (name: string, def: number): number => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const PHONES = Math.max(3, Math.floor(num('LOAD_PHONES', 20)));
const SECONDS = num('LOAD_SECONDS', 30);
const CPS = num('LOAD_CPS', 1);
const HOLD = num('LOAD_HOLD_SECONDS', 10);
const FORMAT = process.env.LOAD_FORMAT === 'wav' ? 'wav' : 'mp3';
const PER_DIRECTION = Math.min(Math.max(1, Math.round(SECONDS * CPS)), Math.floor(num('LOAD_MAX_CALLS', 600)));
const REALM = 'load.test';
const BOOTSTRAP = 'load-bootstrap-key';
const CALLING_CARRIER = '127.0.0.2';
const ANSWERING_CARRIER = '127.0.0.3';
const DID = '5550000';
const OFFNET_NUMBER = '15551230000';

type Json = Record<string, unknown>;

async function api(base: string, token: string | null, method: string, path: string, data?: Json): Promise<Json> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
    ...(data ? { body: JSON.stringify({ data }) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json() as Json;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

function csv(dir: string, name: string, rows: string[][]): string {
  const file = join(dir, name);
  writeFileSync(file, `SEQUENTIAL\n${rows.map((r) => r.join(';')).join('\n')}\n`);
  return file;
}

function fromTemplate(dir: string, name: string, pcap: string, ms: number): string {
  const out = join(dir, name);
  writeFileSync(out, readFileSync(join(SCENARIO_DIR, name), 'utf8').replace(/@PCAP@/g, pcap).replace(/@MS@/g, String(ms)));
  return out;
}

async function scrape(apiUrl: string): Promise<string> {
  return (await fetch(`${apiUrl}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'load-'));
  const packets = Math.ceil((HOLD * 1000) / 20) + 50;
  writeTonePcap(join(dir, 'caller.pcap'), { pt: 0, freq: 1000, packets, ssrc: 0x1111 });
  writeTonePcap(join(dir, 'callee.pcap'), { pt: 0, freq: 400, packets, ssrc: 0x2222 });
  const carrierUac = fromTemplate(dir, 'rec-bench-uac.xml', join(dir, 'caller.pcap'), HOLD * 1000);
  const answerer = fromTemplate(dir, 'rec-bench-uas.xml', join(dir, 'callee.pcap'), 0);
  const phoneUac = join(dir, 'load-phone-call.xml');
  writeFileSync(phoneUac, phoneCallScenario(join(dir, 'caller.pcap'), HOLD * 1000));

  const upload = await UploadServer.start();
  const concurrent = Math.ceil(3 * CPS * (HOLD + 2));
  // RTP + RTCP on both legs, per call, with headroom; even start below 40000.
  const ports = Math.min(19_000, 8 * concurrent + 400);
  const e = await childEnv({
    B2BUA_LOG_LEVEL: 'warn',
    B2BUA_API__BOOTSTRAP_API_KEY: BOOTSTRAP,
    B2BUA_MEDIA__LOCAL__PORT_MIN: '20000',
    B2BUA_MEDIA__LOCAL__PORT_MAX: String(20000 + ports - 1),
    B2BUA_RECORDER__ENCODER_WORKERS: '0',
    B2BUA_CALLS__NO_ANSWER_TIMEOUT_SEC: '30',
  });
  const svc = await startChild(e);
  const sampler = new ProcSampler();
  sampler.track('service', svc.child.pid);
  sampler.track('rtpengine', sampler.childNamed(svc.child.pid, 'rtpengine'));
  const sipps: SippProcess[] = [];
  try {
    // 1. provisioning through the API
    const auth = await api(svc.apiUrl, null, 'PUT', '/v2/api_auth', { api_key: BOOTSTRAP });
    const token = String(auth.auth_token);
    const master = String((auth.data as Json).account_id);
    const rec = { enabled: true, url: `${upload.url}/load`, format: FORMAT };
    const acct = await api(svc.apiUrl, token, 'PUT', `/v2/accounts/${master}`, {
      name: 'load', realm: REALM, call_recording: { account: { inbound: { onnet: rec, offnet: rec } } },
    });
    const accountId = String((acct.data as Json).id);
    const base = `/v2/accounts/${accountId}`;
    const users: string[][] = [];
    const deviceIds: string[] = [];
    for (let i = 0; i < PHONES; i++) {
      const username = String(2000 + i);
      const password = `pw-${username}-${Math.random().toString(36).slice(2, 8)}`;
      const d = await api(svc.apiUrl, token, 'PUT', `${base}/devices`, { name: `load phone ${username}`, sip: { username, password } });
      const id = String((d.data as Json).id);
      deviceIds.push(id);
      await api(svc.apiUrl, token, 'PUT', `${base}/callflows`, {
        numbers: [username, ...(i === 2 ? [DID] : [])], flow: { module: 'device', data: { id } },
      });
      users.push([username, REALM, password, '', '0']);
    }
    const trunkPort = await freePort(ANSWERING_CARRIER);
    await api(svc.apiUrl, token, 'PUT', `${base}/resources`, { name: 'calling carrier', gateways: [{ server: CALLING_CARRIER }], rules: ['^$'] });
    await api(svc.apiUrl, token, 'PUT', `${base}/resources`, {
      name: 'answering carrier', gateways: [{ server: ANSWERING_CARRIER, port: trunkPort }], rules: ['^\\+?1555[0-9]{7}$'],
    });
    csv(dir, 'users.csv', users);

    // 2. registrations: every phone from the one port that answers as all of them
    const target = `127.0.0.1:${svc.sipPort}`;
    const phonePort = await freePort();
    const t0 = Date.now();
    for (const u of users) {
      const r = await runSipp({
        scenario: 'phone-register.xml', remote: target, localPort: phonePort, timeoutMs: 20_000,
        args: ['-m', '1', '-inf', csv(dir, `reg-${u[0]}.csv`, [u]), '-au', u[0], '-ap', u[2], '-auth_uri', REALM],
      });
      if (r.code !== 0) throw new Error(`REGISTER ${u[0]} failed: ${r.errors}`);
    }
    const registered = sample(await scrape(svc.apiUrl), 'b2bua_registrations');
    console.log(`load: ${PHONES} phones registered in ${((Date.now() - t0) / 1000).toFixed(1)} s (gauge ${registered}); ` +
      `${PER_DIRECTION} calls per direction at ${CPS}/s, hold ${HOLD} s, ${FORMAT} recordings, service pid ${svc.child.pid}`);

    // 3. the load
    const timeoutMs = (SECONDS + 3 * HOLD + 120) * 1000;
    const caller = users[0];
    const common = ['-m', String(PER_DIRECTION), '-r', String(CPS), '-l', String(concurrent)];
    const phones = startSipp({
      scenario: answerer, localPort: phonePort, timeoutMs,
      args: ['-i', '127.0.0.1', '-mi', '127.0.0.1', '-mp', String(await freePort()), '-m', String(2 * PER_DIRECTION)],
    });
    const trunk = startSipp({
      scenario: answerer, localPort: trunkPort, timeoutMs,
      args: ['-i', ANSWERING_CARRIER, '-mi', ANSWERING_CARRIER, '-mp', String(await freePort(ANSWERING_CARRIER)), '-m', String(PER_DIRECTION)],
    });
    const phoneCall = (number: string): SippProcess => startSipp({
      scenario: phoneUac, remote: target, localPort: 0, timeoutMs,
      args: [...common, '-mi', '127.0.0.1', '-inf', csv(dir, `call-${number}.csv`, [[number, REALM]]),
        '-au', caller[0], '-ap', caller[2], '-auth_uri', `${number}@${REALM}`],
    });
    const onnet = phoneCall(users[1][0]);
    const outbound = phoneCall(OFFNET_NUMBER);
    const inbound = startSipp({
      scenario: carrierUac, remote: target, localPort: await freePort(CALLING_CARRIER), timeoutMs,
      args: [...common, '-i', CALLING_CARRIER, '-mi', CALLING_CARRIER, '-mp', String(await freePort(CALLING_CARRIER)), '-s', DID],
    });
    sipps.push(phones, trunk, onnet, outbound, inbound);
    const names = ['sipp phones (UAS)', 'sipp trunk (UAS)', 'sipp onnet->onnet', 'sipp onnet->offnet', 'sipp offnet->onnet'];
    sipps.forEach((s, i) => sampler.track(names[i], s.child.pid));

    const active: number[] = [];
    const tLoad = Date.now();
    const tick = setInterval(() => {
      sampler.sample();
      void scrape(svc.apiUrl).then((m) => { active.push(sample(m, 'b2bua_active_calls') ?? 0); }, () => undefined);
    }, 1000);
    let results: SippResult[];
    try {
      results = await Promise.all([onnet.done, outbound.done, inbound.done]);
      const loadSec = (Date.now() - tLoad) / 1000;
      // 4. settle: every recording finalized and uploaded (bounded)
      const expected = 3 * PER_DIRECTION;
      const end = Date.now() + 120_000;
      let m = await scrape(svc.apiUrl);
      while (Date.now() < end) {
        const finished = total(m, 'b2bua_recordings_finished_total');
        // 'completed' is counted just before the file is queued: wait for its upload too.
        const delivered = sample(m, 'b2bua_upload_attempts_total', { result: 'success' }) ?? 0;
        const completed = sample(m, 'b2bua_recordings_finished_total', { outcome: 'completed' }) ?? 0;
        const pending = (sample(m, 'b2bua_upload_queue_depth', { status: 'pending' }) ?? 0) + (sample(m, 'b2bua_upload_queue_depth', { status: 'uploading' }) ?? 0);
        if (finished >= expected && delivered >= completed && pending === 0) break;
        await new Promise((r) => setTimeout(r, 1000));
        m = await scrape(svc.apiUrl);
      }
      const answered = await Promise.all([phones.done, trunk.done].map((p) => Promise.race([p, new Promise<null>((r) => setTimeout(() => r(null), 5000))])));
      clearInterval(tick);
      sampler.sample();
      const ok = results.reduce((n, r) => n + (r.stats?.successful ?? 0), 0);
      const failed = results.reduce((n, r) => n + (r.stats?.failed ?? 0), 0);
      const got = (kind: string): number => total(m, 'b2bua_recorder_rtp_packets_total', { kind });
      const fin = (outcome: string): number => sample(m, 'b2bua_recordings_finished_total', { outcome }) ?? 0;
      const peak = Math.max(0, ...active);
      const mean = active.length ? active.reduce((a, b) => a + b, 0) / active.length : 0;
      console.log('');
      console.log(`calls              ${ok} completed, ${failed} failed of ${expected} (${results.map((r, i) => `${['onnet->onnet', 'onnet->offnet', 'offnet->onnet'][i]} ${r.stats?.successful ?? '?'}/${r.stats?.failed ?? '?'}`).join(', ')})`);
      console.log(`calls/s            ${(ok / loadSec).toFixed(2)} completed per second of wall time (${loadSec.toFixed(1)} s, first INVITE to last BYE); offered ${(3 * CPS).toFixed(2)}`);
      console.log(`concurrent calls   peak ${peak}, mean ${mean.toFixed(1)} (b2bua_active_calls each second)`);
      console.log(`recordings         completed ${fin('completed')}, discarded ${fin('discarded_short')}, failed ${fin('failed')}; ` +
        `uploaded ${sample(m, 'b2bua_upload_attempts_total', { result: 'success' }) ?? 0} (receiver got ${upload.delivered().length} complete)`);
      console.log(`RTP in recordings  received ${got('received')}, missing ${got('lost') + got('late')} (lost ${got('lost')}, late ${got('late')})`);
      console.log(`SIP engine         transactions ${total(m, 'b2bua_sip_transactions_total')}, retransmissions sent ${sample(m, 'b2bua_sip_retransmissions_total', { direction: 'sent' }) ?? 0}`);
      console.log(`load average       ${loadavg().map((l) => l.toFixed(2)).join(' ')}  (answering sipps ${answered.map((a) => (a ? `exit ${a.code}` : 'still up')).join(', ')})`);
      console.log('');
      console.log(sampler.table());
    } finally {
      clearInterval(tick);
    }
  } finally {
    for (const s of sipps) s.child.kill('SIGKILL');
    svc.child.kill('SIGTERM');
    await waitExit(svc, 120_000).catch((err: unknown) => console.error(String(err)));
    await upload.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

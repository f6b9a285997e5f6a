/**
 * Shared set-up of the recorded-call tests: the service with delivery allowed to reach the
 * loopback upload server, an account (with an API key) holding two phones, a carrier trunk on
 * 127.0.0.2, and one helper that runs a whole recorded call with a tone per party and returns
 * what the test needs to check (event times, the call, the SIPp results).
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Call } from '../../../src/calls';
import { deepMerge } from '../../../src/config';
import type { JsonObject, JsonValue } from '../../../src/store';
import { freePort } from '../../helpers/ports';
import { RtpEndpoint } from '../../helpers/rtp';
import type { SippResult } from '../../helpers/sipp';
import type { Logger } from 'pino';
import type { Test } from 'tap';
import { startTestService, type TestService } from '../../helpers/service';
import { UploadServer, type ReceivedUpload } from '../../helpers/upload-server';
import { CALLEE_TONE, CALLER_TONE, REALM, answerOn, bridged, callFrom, ended, nextCall, registerPhone, type Phone } from '../calls/setup';
import { decode, type Decoded } from '../recorder/decode';
import { newStream, pressKey, rtpengineTargets, sendTone } from './media';
import { tempDir } from '../../helpers/temp';

export { CALLEE_TONE, CALLER_TONE, REALM };
export const CARRIER = '127.0.0.2';
export const API_KEY = 'rec-test-api-key';

export function serviceConfig(): Record<string, unknown> {
  return {
    delivery: { allow: ['127.0.0.0/8'], backoffBaseMs: 200, backoffMaxMs: 1000 },
    recorder: { encoderWorkers: 1 },
  };
}

export interface World {
  accountId: string;
  callerDevice: string;
  calleeDevice: string;
  callerOwner: string;
  carrierPort: number;
}

export async function seed(svc: TestService): Promise<World> {
  const acct = await svc.store.createAccount(null, { name: 'recording', realm: REALM, pvt_api_key: API_KEY });
  const accountId = acct._id;
  const callerOwner = (await svc.store.create('users', accountId, { first_name: 'Alice', last_name: 'Caller' }))._id;
  const dev = async (username: string, owner?: string): Promise<string> => (await svc.store.create('devices', accountId, {
    name: `phone ${username}`, sip: { username, password: `pw-${username}` }, ...(owner ? { owner_id: owner } : {}),
  }))._id;
  const callerDevice = await dev('1001', callerOwner);
  const calleeDevice = await dev('2001');
  await svc.store.create('callflows', accountId, { numbers: ['2000', '4420000'], flow: { module: 'device', data: { id: calleeDevice } } });
  const carrierPort = await freePort(CARRIER);
  await svc.store.create('resources', accountId, { name: 'carrier', gateways: [{ server: CARRIER, port: carrierPort }], rules: ['^\\+?1555[0-9]{7}$'] });
  return { accountId, callerDevice, calleeDevice, callerOwner, carrierPort };
}

/** What every recorded-call test file starts with: an upload receiver, the service, the seeded world. */
export interface RecordingEnv {
  svc: TestService;
  upload: UploadServer;
  w: World;
  close(): Promise<void>;
}

/** `config` is deep-merged over serviceConfig(); `webhookPath` points the delivery webhook at the receiver. */
export async function startRecordingEnv(o: { logger?: Logger; config?: Record<string, unknown>; webhookPath?: string } = {}): Promise<RecordingEnv> {
  const upload = await UploadServer.start();
  let svc: TestService | undefined;
  try {
    // The webhook's POSTs land on the same receiver, under their own path.
    const hook = o.webhookPath ? { delivery: { webhookUrl: `${upload.url}${o.webhookPath}` } } : {};
    svc = await startTestService({ config: deepMerge(deepMerge(serviceConfig(), o.config ?? {}), hook), ...(o.logger ? { logger: o.logger } : {}) });
    const w = await seed(svc);
    const started = svc;
    return { svc: started, upload, w, close: async () => { await started.close(); await upload.close(); } };
  } catch (err) {
    await svc?.close();
    await upload.close();
    throw err;
  }
}

/** A started recording env and the file's temp directory (the pcaps and scenarios written for SIPp). */
export interface RecordingSuite extends RecordingEnv {
  dir: string;
}

/**
 * The module-level set-up of a recorded-call test file: before its tests the env starts, a temp
 * directory named `prefix`... is made and `ready` runs (the file keeps what it needs, seeds its
 * documents); after them the env closes and the directory goes. `t` is the file's root test.
 */
export function recordingSuite(t: Pick<Test, 'before' | 'teardown'>, prefix: string, ready: (s: RecordingSuite) => Promise<void> | void, o: Parameters<typeof startRecordingEnv>[0] = {}): void {
  let env: RecordingEnv | undefined;
  let dir: string | undefined;
  t.before(async () => {
    env = await startRecordingEnv(o);
    dir = mkdtempSync(join(tmpdir(), prefix));
    await ready({ ...env, dir });
  });
  t.teardown(async () => {
    await env?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

/** Sets (or with null removes) a document's call_recording. */
export async function setRecording(svc: TestService, collection: 'accounts' | 'users' | 'devices', id: string, cr: JsonValue): Promise<void> {
  await svc.store.merge(collection, id, { call_recording: cr } as JsonObject);
}

export interface CallRun {
  call: Call;
  /** performance.now() at routing, callee answer, and the start of the hang-up. */
  tRouted: number;
  tAnswered: number;
  tBridged: number;
  tEnded: number;
  caller: SippResult;
  callee: SippResult;
  /** Seconds after the answer at which both tones started. */
  toneStartSec: number;
}

export interface CallPlan {
  /** onnet caller (phone 1001) or the carrier. */
  from: 'phone' | 'carrier';
  number: string;
  /** onnet callee (phone 2001) or the carrier. */
  to: 'phone' | 'carrier';
  toneFrames?: number;
  /** Press # after this many tone frames (the caller's stream continues afterwards). */
  hashAfterFrames?: number;
}

/**
 * One recorded call: the callee rings 1 s and answers, both parties send their tone (caller
 * 1 kHz, callee 400 Hz) from the bridge on, the caller hangs up (4 s after its ACK for a phone,
 * 3 s for the carrier).
 */
export async function runCall(svc: TestService, w: World, p: CallPlan): Promise<CallRun> {
  const frames = p.toneFrames ?? 100;
  const calleePhone = p.to === 'phone' ? await registerPhone(svc, '2001') : undefined;
  const calleeRtp = calleePhone ? calleePhone.rtp : await RtpEndpoint.open();
  const callerRtp = p.from === 'phone' ? (await registerPhone(svc, '1001')).rtp : await RtpEndpoint.open();
  try {
    const calleePort = calleePhone ? calleePhone.port : w.carrierPort;
    const uas = answerOn(calleePort, 'rec-phone-answer.xml', calleeRtp.port, p.to === 'phone' ? '127.0.0.1' : CARRIER);
    const callP = nextCall(svc);
    const uac = p.from === 'phone'
      ? callFrom(svc, 'rec-phone-call.xml', { user: '1001', number: p.number, rtpPort: callerRtp.port, port: await freePort() })
      : callFrom(svc, 'trunk-call.xml', { user: '15559990000', realm: 'carrier.test', number: p.number, rtpPort: callerRtp.port, port: await freePort(CARRIER), host: CARRIER });
    const call = await callP;
    let tRouted = performance.now();
    let tAnswered = 0;
    let tEnded = 0;
    let tBridged = 0;
    call.once('bridged', () => { tBridged = performance.now(); });
    call.once('routed', () => { tRouted = performance.now(); });
    call.once('answered', () => { tAnswered = performance.now(); });
    call.onClose(() => { tEnded = performance.now(); });
    await bridged(call);
    const ports = await rtpengineTargets(svc, call);
    const toneStartSec = (performance.now() - tAnswered) / 1000;
    const a = newStream(0x1111);
    const b = newStream(0x2222);
    const callerSends = (async () => {
      if (p.hashAfterFrames === undefined) return sendTone(callerRtp, ports.toCallerSide, CALLER_TONE, frames, a);
      await sendTone(callerRtp, ports.toCallerSide, CALLER_TONE, p.hashAfterFrames, a);
      await pressKey(callerRtp, ports.toCallerSide, 11, a);
      return sendTone(callerRtp, ports.toCallerSide, CALLER_TONE, frames - p.hashAfterFrames, a);
    })();
    await Promise.all([callerSends, sendTone(calleeRtp, ports.toCalleeSide, CALLEE_TONE, frames, b)]);
    const [caller, callee] = await Promise.all([uac, uas.done]);
    await ended(call);
    return { call, tRouted, tAnswered, tBridged, tEnded, caller, callee, toneStartSec };
  } finally {
    callerRtp.close();
    calleeRtp.close();
  }
}

/** The uploads of one call (waits until `count` arrived). */
export async function uploadsOf(upload: UploadServer, callId: string, count = 1, timeoutMs = 20_000): Promise<ReceivedUpload[]> {
  const mine = (): ReceivedUpload[] => upload.delivered().filter((r) => r.query.call_id === callId);
  await upload.waitFor(() => mine().length >= count, timeoutMs, `${count} upload(s) of ${callId}`);
  return mine();
}

export function decodeBody(body: Buffer, ext: string): Decoded {
  const dir = tempDir('rec-upload-');
  const file = join(dir, `upload.${ext}`);
  writeFileSync(file, body);
  return decode(file);
}

/** An API client authenticated with an account's key (the seeded account's by default); `data` makes it a POST. */
/** A Crossbar answer envelope as the API tests read it. */
export interface Envelope { status: string; error?: string; message?: string; data: JsonObject & { [k: string]: unknown } }

/** An API answer's status and parsed envelope. */
export async function jsonOf(r: Promise<Response>): Promise<{ status: number; body: Envelope }> {
  const res = await r;
  return { status: res.status, body: await res.json() as Envelope };
}

/** A fetch with the account's token: GET, POST when `data` is given, or `method` (e.g. DELETE, PATCH). */
export async function apiClient(svc: TestService, apiKey = API_KEY): Promise<(path: string, accept?: string, data?: JsonValue, method?: string) => Promise<Response>> {
  const auth = await fetch(`${svc.apiUrl}/v2/api_auth`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: { api_key: apiKey } }) });
  const body = await auth.json() as { auth_token?: string };
  const token = body.auth_token;
  if (!token) throw new Error(`api_auth failed: ${auth.status}`);
  return (path, accept, data, method) => fetch(`${svc.apiUrl}${path}`, {
    headers: { 'x-auth-token': token, ...(accept ? { accept } : {}), ...(data === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(data === undefined ? {} : { method: 'POST', body: JSON.stringify({ data }) }),
    ...(method ? { method } : {}),
    signal: AbortSignal.timeout(10_000),
  });
}

/** The call's recording record once it reached `status` (the store mirror follows the queue). */
export async function recordingDocOf(svc: TestService, accountId: string, callId: string, status: string, timeoutMs = 10_000): Promise<JsonObject> {
  let last: JsonObject | undefined;
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    await svc.service.recordings?.flush();
    last = (await svc.store.list('recordings', accountId)).find((d) => d.call_id === callId);
    if (last?.status === status) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`recording of ${callId} not ${status}: ${JSON.stringify(last)}`);
}

export type JsonApi = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown>; at: number }>;

/**
 * A JSON API client logged in with `apiKey`; each answer carries `at`, the middle of its round
 * trip (performance.now()), which is when an action it asked for took effect, within half of it.
 */
export async function jsonApi(svc: TestService, apiKey = API_KEY): Promise<JsonApi> {
  const call = async (method: string, path: string, body: unknown, token: string): Promise<{ status: number; body: Record<string, unknown>; at: number }> => {
    const t0 = performance.now();
    const res = await fetch(`${svc.apiUrl}${path}`, {
      method,
      headers: { ...(token ? { 'x-auth-token': token } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const json = await res.json() as Record<string, unknown>;
    return { status: res.status, body: json, at: (t0 + performance.now()) / 2 };
  };
  const auth = await call('PUT', '/v2/api_auth', { data: { api_key: apiKey } }, '');
  const token = auth.body.auth_token;
  if (typeof token !== 'string') throw new Error(`api_auth ${auth.status}`);
  return (method, path, body) => call(method, path, body, token);
}

/** A bridged call the test ends from the API: the phones, the SIPp runs, the channel's API path. */
export interface ApiEndedCall {
  call: Call;
  caller: Phone;
  callee: Phone;
  /** `/v2/accounts/{A}/channels/{call-id}` */
  ch: string;
  /** performance.now() at the callee's answer. */
  tAnswered: number;
  uac: Promise<SippResult>;
  uas: Promise<SippResult>;
  /** Closes both phones' RTP sockets. */
  close(): void;
}

/**
 * Phone 1001 calls 2000 (phone 2001 answers with `calleeScenario`), the caller with `scenario`
 * (by default waiting for the service's BYE: the test hangs up through the API); resolves once
 * bridged.
 */
export async function apiEndedCall(svc: TestService, w: World, scenario = 'phone-call-wait-bye.xml', calleeScenario = 'rec-phone-answer.xml'): Promise<ApiEndedCall> {
  const callee = await registerPhone(svc, '2001');
  const caller = await registerPhone(svc, '1001');
  const close = (): void => {
    callee.rtp.close();
    caller.rtp.close();
  };
  try {
    const uas = answerOn(callee.port, calleeScenario, callee.rtp.port);
    const callP = nextCall(svc);
    const uac = callFrom(svc, scenario, { user: '1001', number: '2000', rtpPort: caller.rtp.port, port: await freePort() });
    const call = await callP;
    const out: ApiEndedCall = { call, caller, callee, ch: `/v2/accounts/${w.accountId}/channels/${encodeURIComponent(call.callId)}`, tAnswered: 0, uac, uas: uas.done, close };
    call.once('answered', () => { out.tAnswered = performance.now(); });
    await bridged(call);
    return out;
  } catch (err) {
    close();
    throw err;
  }
}

/** A counter's value in the service's /metrics text (0 when the series is not there yet). */
export async function metricOf(svc: TestService, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${svc.apiUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

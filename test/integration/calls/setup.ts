/**
 * Shared set-up for the call tests: one account with phones, users, callflows and trunks
 * written straight into the service's store, SIPp phones that REGISTER (with digest auth) on
 * the port they then answer on, RTP endpoints carrying a tone per direction.
 */
import type { Call } from '../../../src/calls';
import { CallState } from '../../../src/calls';
import type { JsonObject } from '../../../src/store';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../helpers/ports';
import { RtpEndpoint } from '../../helpers/rtp';
import type { TestService } from '../../helpers/service';
import { runSipp, startSipp, type SippProcess, type SippResult } from '../../helpers/sipp';
import { sendTone } from './audio';
import { tempDir } from '../../helpers/temp';

export const REALM = 'calls.test';
export const CALLER_TONE = 1000;
export const CALLEE_TONE = 400;

export interface Seeded {
  accountId: string;
  device(name: string): string;
}

export async function seedAccount(svc: TestService): Promise<string> {
  const acct = await svc.store.createAccount(null, { name: 'calls', realm: REALM });
  return acct._id;
}

export async function addDevice(svc: TestService, accountId: string, username: string, ownerId?: string): Promise<string> {
  const d = await svc.store.create('devices', accountId, {
    name: `phone ${username}`, sip: { username, password: `pw-${username}` }, ...(ownerId ? { owner_id: ownerId } : {}),
  });
  return d._id;
}

export async function addUser(svc: TestService, accountId: string, first: string): Promise<string> {
  return (await svc.store.create('users', accountId, { first_name: first, last_name: 'Test' }))._id;
}

export async function addCallflow(svc: TestService, accountId: string, numbers: string[], flow: JsonObject, patterns: string[] = []): Promise<string> {
  return (await svc.store.create('callflows', accountId, { numbers, patterns, flow }))._id;
}

export async function addResource(svc: TestService, accountId: string, name: string, gateways: JsonObject[], rules: string[], weight = 50): Promise<string> {
  return (await svc.store.create('resources', accountId, { name, gateways, rules, weight_cost: weight }))._id;
}

/** A one-line SIPp injection file (fields: user;realm;password;number;rtpport). */
export function csv(fields: string[]): string {
  const dir = tempDir('calls-csv-');
  const file = join(dir, 'fields.csv');
  writeFileSync(file, `SEQUENTIAL\n${fields.join(';')}\n`);
  return file;
}

/** A phone: its SIP port (registered from), its RTP endpoint. */
export interface Phone {
  username: string;
  port: number;
  rtp: RtpEndpoint;
}

/**
 * Each phone keeps its SIP port for the whole test file, so a new REGISTER refreshes its one
 * binding instead of adding a contact that nobody answers on any more.
 */
const phonePorts = new Map<string, number>();

export async function registerPhone(svc: TestService, username: string, realm = REALM): Promise<Phone> {
  const key = `${svc.sipTarget}/${username}`;
  const port = phonePorts.get(key) ?? await freePort();
  phonePorts.set(key, port);
  const r = await runSipp({
    scenario: 'phone-register.xml', remote: svc.sipTarget, localPort: port, timeoutMs: 20_000,
    args: ['-m', '1', '-inf', csv([username, realm, `pw-${username}`, '', '0']), '-au', username, '-ap', `pw-${username}`, '-auth_uri', realm],
  });
  if (r.code !== 0) throw new Error(`REGISTER of ${username} failed: ${r.code} ${r.errors}`);
  return { username, port, rtp: await RtpEndpoint.open() };
}

/** A SIPp UAS on the phone's port (after its registration ended). */
export function answerOn(port: number, scenario: string, rtpPort: number, host = '127.0.0.1', timeoutMs = 30_000): SippProcess {
  return startSipp({
    scenario, localPort: port, timeoutMs,
    args: ['-m', '1', '-key', 'rtpport', String(rtpPort), ...(host !== '127.0.0.1' ? ['-i', host] : [])],
  });
}

export function callFrom(svc: TestService, scenario: string, o: { user: string; number: string; rtpPort: number; port: number; host?: string; realm?: string; timeoutMs?: number; args?: string[] }): Promise<SippResult> {
  const realm = o.realm ?? REALM;
  return runSipp({
    scenario, remote: svc.sipTarget, localPort: o.port, timeoutMs: o.timeoutMs ?? 30_000,
    args: [
      '-m', '1', '-inf', csv([o.user, realm, `pw-${o.user}`, o.number, String(o.rtpPort)]),
      // SIPp's digest uri defaults to the remote address; RFC 3261 22.4 wants the Request-URI.
      '-au', o.user, '-ap', `pw-${o.user}`, '-auth_uri', `${o.number}@${realm}`, ...(o.host ? ['-i', o.host] : []), ...(o.args ?? []),
    ],
  });
}

/**
 * The next call the B2BUA handles. With `caller` (the calling SIPp), a caller that ends before
 * any call arrives fails at once with what SIPp said (a port it could not bind, a 4xx).
 */
export function nextCall(svc: TestService, timeoutMs = 20_000, caller?: Promise<SippResult>): Promise<Call> {
  const b2bua = svc.service.b2bua;
  if (!b2bua) throw new Error('no b2bua');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no call arrived')), timeoutMs);
    const onCall = (c: Call): void => {
      clearTimeout(timer);
      resolve(c);
    };
    b2bua.once('call', onCall);
    void caller?.then((r) => {
      b2bua.off('call', onCall);
      clearTimeout(timer);
      reject(new Error(`no call arrived; the caller's SIPp ended first (code ${r.code}): ${r.errors || r.stderr.slice(-500)}`));
    });
  });
}

export function bridged(call: Call, timeoutMs = 20_000): Promise<void> {
  if (call.state === CallState.Answered) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`call not bridged (state ${call.state})`)), timeoutMs);
    call.once('bridged', () => { clearTimeout(timer); resolve(); });
    call.once('ended', () => { clearTimeout(timer); reject(new Error(`call ended before bridging: ${call.end?.cause}`)); });
  });
}

export function ended(call: Call, timeoutMs = 30_000): Promise<void> {
  if (call.state === CallState.Ended) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`call did not end (state ${call.state})`)), timeoutMs);
    call.once('ended', () => { clearTimeout(timer); resolve(); });
  });
}

export interface MediaEvidence {
  /** rtpengine's per-tag packet counters while the call was up. */
  callerPackets: number;
  calleePackets: number;
}

/**
 * Once bridged: asks rtpengine where each side must send (its local port per monologue), sends
 * a tone from each endpoint (caller 1 kHz, callee 400 Hz, 1 s each), then reads rtpengine's
 * packet counters for both monologues.
 */
export async function exchangeTones(svc: TestService, call: Call, caller: RtpEndpoint, callee: RtpEndpoint): Promise<MediaEvidence> {
  const server = svc.service.media?.server;
  const media = call.media;
  if (!server || !media?.calleeTag) throw new Error('call has no media');
  const portOf = async (tag: string): Promise<number> => {
    const q = await server.query(call.callId);
    const port = q.tags?.[tag]?.medias?.[0]?.streams?.[0]?.['local port'];
    if (typeof port !== 'number') throw new Error(`no rtpengine port for tag ${tag}: ${JSON.stringify(q.tags)}`);
    return port;
  };
  const toCaller = await portOf(media.callerTag);
  const toCallee = await portOf(media.calleeTag);
  await Promise.all([
    sendTone(caller, '127.0.0.1', toCaller, CALLER_TONE, 50, 0x1111),
    sendTone(callee, '127.0.0.1', toCallee, CALLEE_TONE, 50, 0x2222),
  ]);
  await new Promise((r) => setTimeout(r, 200));
  const q = await server.query(call.callId);
  const count = (tag: string): number => (q.tags?.[tag]?.medias ?? [])
    .flatMap((m) => m.streams ?? []).reduce((n, s) => n + (s.stats?.packets ?? 0), 0);
  return { callerPackets: count(media.callerTag), calleePackets: count(media.calleeTag) };
}

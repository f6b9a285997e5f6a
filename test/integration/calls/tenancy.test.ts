/**
 * Tenancy on the SIP side (issue 11), with SIPp phones and carriers against the whole service:
 *  - defect 2: a callflow written straight into the store naming another account's device does
 *    not ring that phone; the flow goes on with its child `_` (the account's own phone) and a
 *    warn line names both accounts;
 *  - defect 3: below a disabled ancestor, a device's REGISTER and INVITE get 403 after the
 *    challenge, and calls to the account's number get 403, from another account's carrier and
 *    from its own; enabling the ancestor again lets the phone register again.
 */
import { Writable } from 'node:stream';
import t from 'tap';
import pino from 'pino';
import { freePort } from '../../helpers/ports';
import { startTestService, type TestService } from '../../helpers/service';
import { runSipp, type SippResult } from '../../helpers/sipp';
import {
  addCallflow, addDevice, addResource, answerOn, bridged, callFrom, csv, ended, nextCall, registerPhone, seedAccount,
} from './setup';

const BRAVO = 'bravo.calls.test';
const CHILD = 'child.calls.test';
const CARRIER = '127.0.0.2';
const CHILD_CARRIER = '127.0.0.3';

let svc: TestService;
const warnings: Record<string, unknown>[] = [];
const ids: Record<string, string> = {};

t.before(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') warnings.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  svc = await startTestService({ logger: pino({ level: 'warn' }, sink) });
  const alpha = await seedAccount(svc);
  ids.alphaPhone = await addDevice(svc, alpha, 'a100');
  await addResource(svc, alpha, 'carrier', [{ server: CARRIER }], []);
  const bravo = (await svc.store.createAccount(null, { name: 'bravo', realm: BRAVO }))._id;
  await addDevice(svc, bravo, 'b200');
  ids.bravoPhone = await addDevice(svc, bravo, 'b201');
  // What the tester did, straight into the store: bravo's number rings alpha's phone first.
  await addCallflow(svc, bravo, ['7001'], { module: 'device', data: { id: ids.alphaPhone }, children: { _: { module: 'device', data: { id: ids.bravoPhone } } } });

  ids.parent = (await svc.store.createAccount(null, { name: 'parent', realm: 'parent.calls.test' }))._id;
  const child = (await svc.store.createAccount(ids.parent, { name: 'child', realm: CHILD }))._id;
  ids.childPhone = await addDevice(svc, child, 'c300');
  await addCallflow(svc, child, ['4427000'], { module: 'device', data: { id: ids.childPhone } });
  await addResource(svc, child, 'own carrier', [{ server: CHILD_CARRIER }], []);
});
t.teardown(async () => {
  await svc?.close();
});

t.test("a cross-account callflow in the store does not ring the other account's phone", async (t) => {
  const alphaPhone = await registerPhone(svc, 'a100');
  const bravoPhone = await registerPhone(svc, 'b201', BRAVO);
  const caller = await registerPhone(svc, 'b200', BRAVO);
  // Alpha's phone is registered and would answer: it must never be offered the call.
  const alphaUas = answerOn(alphaPhone.port, 'phone-answer.xml', alphaPhone.rtp.port, '127.0.0.1', 20_000);
  const bravoUas = answerOn(bravoPhone.port, 'phone-answer.xml', bravoPhone.rtp.port);
  const callP = nextCall(svc);
  const uac = callFrom(svc, 'phone-call.xml', { user: 'b200', realm: BRAVO, number: '7001', rtpPort: caller.rtp.port, port: caller.port });
  const call = await callP;
  await bridged(call);
  t.equal(call.answeredTarget?.deviceId, ids.bravoPhone, "bravo's own phone answered");
  const [rc, rb] = await Promise.all([uac, bravoUas.done]);
  t.equal(rc.code, 0, `caller ${rc.errors}`);
  t.equal(rb.code, 0, `bravo's phone ${rb.errors}`);
  await ended(call);
  alphaUas.stop();
  const ra = await alphaUas.done;
  t.equal(ra.stats?.successful ?? 0, 0, "alpha's phone answered no call");
  t.match(warnings, [{ level: 40, callflow_id: String, device_id: ids.alphaPhone, target_account_id: String, callId: call.callId }],
    'a warn line with the call, the callflow and the refused device');
  for (const p of [alphaPhone, bravoPhone, caller]) p.rtp.close();
});

/** A scenario played as `user` of `realm` (fields user;realm;password;field3), from `host`. */
async function playAs(scenario: string, user: string, realm: string, field3: string, host = '127.0.0.1'): Promise<SippResult> {
  return runSipp({
    scenario, remote: svc.sipTarget, localPort: await freePort(host), timeoutMs: 20_000,
    args: ['-m', '1', '-inf', csv([user, realm, `pw-${user}`, field3, '0']), '-au', user, '-ap', `pw-${user}`, '-i', host],
  });
}

t.test('below a disabled ancestor: REGISTER and INVITE 403, calls to its number 403; back when enabled', async (t) => {
  const phone = await registerPhone(svc, 'c300', CHILD);
  phone.rtp.close();
  await svc.store.merge('accounts', ids.parent, { enabled: false });

  const reg = await playAs('register_auth_fail.xml', 'c300', CHILD, '300');
  t.equal(reg.code, 0, `REGISTER with the right password: 401, then 403 ${reg.errors}`);
  const inv = await playAs('invite_auth_fail.xml', 'c300', CHILD, '4427000');
  t.equal(inv.code, 0, `INVITE with the right password: 407, then 403 ${inv.errors}`);

  const fromCarrier = nextCall(svc);
  const did = await playAs('invite_auth_refused.xml', '15559990000', 'carrier.test', '4427000', CARRIER);
  t.equal(did.code, 0, `another account's carrier calling its number: 403 ${did.errors}`);
  const refused = await fromCarrier;
  await ended(refused);
  t.equal(refused.end?.status, 403, 'the call to a disabled account ends 403');
  const own = await playAs('invite_auth_refused.xml', '15559990000', 'carrier.test', '4427000', CHILD_CARRIER);
  t.equal(own.code, 0, `its own carrier calling in: 403 ${own.errors}`);

  await svc.store.merge('accounts', ids.parent, { enabled: true });
  const again = await registerPhone(svc, 'c300', CHILD);
  t.pass('registers again once the ancestor is enabled');
  again.rtp.close();
});

import t from 'tap';
import { recordingsForCall } from '../../../src/policy';
import { baseInput, enabledSlot, slotUrl, type Dir, type Net } from './fixtures';

/**
 * Every row of the spec's three "Account Settings" tables. `started` is the table's last column;
 * `unless` names the inbound slot of the "yes (if inbound -> X isn't configured)" rows.
 */
interface Row {
  caller: Net;
  callee: Net;
  dir: Dir;
  net: Net;
  started: boolean;
  unless?: Net;
  origin?: string;
}

const ROWS: Row[] = [
  // When an onnet device makes an internal call
  { caller: 'onnet', callee: 'onnet', dir: 'inbound', net: 'onnet', started: true, origin: 'inbound from onnet to account' },
  { caller: 'onnet', callee: 'onnet', dir: 'inbound', net: 'offnet', started: false },
  { caller: 'onnet', callee: 'onnet', dir: 'outbound', net: 'onnet', started: true, unless: 'onnet', origin: 'outbound to onnet from account' },
  { caller: 'onnet', callee: 'onnet', dir: 'outbound', net: 'offnet', started: false },
  // When an onnet device makes an external call
  { caller: 'onnet', callee: 'offnet', dir: 'inbound', net: 'onnet', started: true, origin: 'inbound from onnet to account' },
  { caller: 'onnet', callee: 'offnet', dir: 'inbound', net: 'offnet', started: false },
  { caller: 'onnet', callee: 'offnet', dir: 'outbound', net: 'onnet', started: false },
  { caller: 'onnet', callee: 'offnet', dir: 'outbound', net: 'offnet', started: true, unless: 'onnet', origin: 'outbound to offnet from account' },
  // When an offnet device makes an internal call
  { caller: 'offnet', callee: 'onnet', dir: 'inbound', net: 'onnet', started: false },
  { caller: 'offnet', callee: 'onnet', dir: 'inbound', net: 'offnet', started: true, origin: 'inbound from offnet to account' },
  { caller: 'offnet', callee: 'onnet', dir: 'outbound', net: 'onnet', started: true, unless: 'offnet', origin: 'outbound to onnet from account' },
  { caller: 'offnet', callee: 'onnet', dir: 'outbound', net: 'offnet', started: false },
];

t.test('account settings: every row of the spec tables', async (t) => {
  t.equal(ROWS.length, 12);
  for (const row of ROWS) {
    const name = `${row.caller}->${row.callee}: Account -> ${row.dir} -> ${row.net}`;
    const input = baseInput(row.caller, row.callee);
    input.account.call_recording = { account: enabledSlot('acct', row.dir, row.net) };
    const got = recordingsForCall(input);
    if (!row.started) {
      t.same(got, [], `${name}: no recording`);
      continue;
    }
    t.equal(got.length, 1, `${name}: one recording`);
    t.match(got[0], {
      kind: 'account',
      source: 'account',
      origin: row.origin,
      direction: row.dir,
      network: row.net,
      accountId: 'acct1',
      settings: { url: slotUrl('acct', row.dir, row.net) },
    }, `${name}: started with that slot's settings`);
    t.notOk('endpointId' in got[0], `${name}: not tied to an endpoint`);
  }
});

t.test('account settings: the "if inbound -> X isn\'t configured" condition', async (t) => {
  for (const row of ROWS.filter((r) => r.unless !== undefined)) {
    const inboundNet = row.unless as Net;
    const name = `${row.caller}->${row.callee}: outbound -> ${row.net} with inbound -> ${inboundNet}`;

    // Inbound configured and enabled: it takes precedence, the outbound slot is not used.
    const both = baseInput(row.caller, row.callee);
    both.account.call_recording = {
      account: {
        inbound: { [inboundNet]: { enabled: true, url: slotUrl('acct', 'inbound', inboundNet) } },
        outbound: { [row.net]: { enabled: true, url: slotUrl('acct', 'outbound', row.net) } },
      },
    };
    const got = recordingsForCall(both);
    t.equal(got.length, 1, `${name} enabled: exactly one account recording`);
    t.match(got[0], { direction: 'inbound', network: inboundNet, settings: { url: slotUrl('acct', 'inbound', inboundNet) } }, `${name} enabled: inbound wins`);

    // Inbound present but not enabled counts as "not configured" (Kazoo's reading).
    for (const inbound of [{ enabled: false }, { format: 'wav' as const }]) {
      const off = baseInput(row.caller, row.callee);
      off.account.call_recording = {
        account: {
          inbound: { [inboundNet]: inbound },
          outbound: { [row.net]: { enabled: true, url: slotUrl('acct', 'outbound', row.net) } },
        },
      };
      const got2 = recordingsForCall(off);
      t.equal(got2.length, 1, `${name} ${JSON.stringify(inbound)}: one recording`);
      t.match(got2[0], { direction: 'outbound', network: row.net, origin: row.origin }, `${name} ${JSON.stringify(inbound)}: outbound used`);
    }
  }
});

t.test('account settings: every slot enabled at once still gives one account recording per call', async (t) => {
  const all = { enabled: true };
  const expected: [Net, Net, string][] = [
    ['onnet', 'onnet', 'inbound from onnet to account'],
    ['onnet', 'offnet', 'inbound from onnet to account'],
    ['offnet', 'onnet', 'inbound from offnet to account'],
    ['offnet', 'offnet', 'inbound from offnet to account'],
  ];
  for (const [caller, callee, origin] of expected) {
    const input = baseInput(caller, callee);
    input.account.call_recording = { account: { inbound: { onnet: all, offnet: all }, outbound: { onnet: all, offnet: all } } };
    const got = recordingsForCall(input);
    t.equal(got.length, 1, `${caller}->${callee}`);
    t.equal(got[0].origin, origin, `${caller}->${callee} origin`);
  }
});

t.test('account settings: a bare {inbound, outbound} object is read as the account branch', async (t) => {
  const input = baseInput('offnet', 'onnet');
  input.account.call_recording = { inbound: { offnet: { enabled: true } } };
  const got = recordingsForCall(input);
  t.equal(got.length, 1);
  t.equal(got[0].origin, 'inbound from offnet to account');
});

t.test('account settings: the account `endpoint` branch never makes an account recording', async (t) => {
  const input = baseInput('offnet', 'onnet');
  input.account.call_recording = { endpoint: { inbound: { offnet: { enabled: true } } } };
  t.same(recordingsForCall(input), [], 'no endpoint in the call: nothing recorded');
});

t.test('account settings: a bad direction is a coded error', async (t) => {
  const input = baseInput('onnet', 'onnet');
  (input.direction as { caller: string }).caller = 'sideways';
  t.throws(() => recordingsForCall(input), { code: 'POLICY_BAD_INPUT', name: 'PolicyInputError' });
});

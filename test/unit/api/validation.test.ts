import t from 'tap';
import { CallRecording } from '../../../src/policy/settings-schema';
import { AccountDocSchema, DeviceDocSchema, ResourceDocSchema, UserDocSchema } from '../../../src/api/schemas';
import { compileValidator, createAjv, pointerToPath, prefixErrors, type FieldErrors } from '../../../src/api/validation';
import type { JsonObject } from '../../../src/store';

const ajv = createAjv();
const callRecording = compileValidator(ajv, CallRecording);
const user = compileValidator(ajv, UserDocSchema);
const device = compileValidator(ajv, DeviceDocSchema);
const account = compileValidator(ajv, AccountDocSchema);
const resource = compileValidator(ajv, ResourceDocSchema);

t.test('JSON pointers become Kazoo dotted keys', (t) => {
  const table: Array<[string, string | undefined, string]> = [
    ['', undefined, ''],
    ['', 'name', 'name'],
    ['/gateways/0/server', undefined, 'gateways.0.server'],
    ['/call_recording/inbound', 'offnet', 'call_recording.inbound.offnet'],
    ['/a~1b/c~0d', undefined, 'a/b.c~d'],
  ];
  for (const [ptr, extra, want] of table) t.equal(pointerToPath(ptr, extra), want, `${ptr} + ${extra ?? ''}`);
  t.same(prefixErrors('flow.data', { format: { enum: { message: 'm' } } }), { 'flow.data.format': { enum: { message: 'm' } } });
  t.end();
});

t.test('call_recording: every rule of the spec table, with Kazoo rule names and messages', (t) => {
  const cases: Array<[string, JsonObject, FieldErrors]> = [
    [
      'format outside the enum',
      { inbound: { onnet: { format: 'ogg' } } },
      { 'inbound.onnet.format': { enum: { message: 'Value not found in enumerated list of values', target: ['mp3', 'wav'] } } },
    ],
    [
      'enabled not a boolean',
      { outbound: { offnet: { enabled: 'yes' } } },
      { 'outbound.offnet.enabled': { type: { message: 'Value did not match type(s): boolean', target: 'boolean' } } },
    ],
    [
      'record_min_sec not an integer',
      { inbound: { offnet: { record_min_sec: 1.5 } } },
      { 'inbound.offnet.record_min_sec': { type: { message: 'Value did not match type(s): integer', target: 'integer' } } },
    ],
    [
      'time_limit below Kazoo minimum',
      { inbound: { onnet: { time_limit: 4 } } },
      { 'inbound.onnet.time_limit': { minimum: { message: 'Value must be at least 5', target: 5 } } },
    ],
    [
      'time_limit above Kazoo maximum',
      { inbound: { onnet: { time_limit: 10801 } } },
      { 'inbound.onnet.time_limit': { maximum: { message: 'Value must be at most 10800', target: 10800 } } },
    ],
    [
      'record_on_answer not a boolean',
      { inbound: { onnet: { record_on_answer: 1 } } },
      { 'inbound.onnet.record_on_answer': { type: { message: 'Value did not match type(s): boolean', target: 'boolean' } } },
    ],
    [
      'record_sample_rate as a string',
      { inbound: { onnet: { record_sample_rate: '8000' } } },
      { 'inbound.onnet.record_sample_rate': { type: { message: 'Value did not match type(s): integer', target: 'integer' } } },
    ],
    [
      'url not http(s)',
      { inbound: { onnet: { url: 'ftp://store.example.com/' } } },
      { 'inbound.onnet.url': { format: { message: 'Value did not match format: uri', target: 'uri' } } },
    ],
    [
      'unknown key inside the settings (closed object)',
      { inbound: { onnet: { colour: 'red' } } },
      {
        'inbound.onnet.colour': {
          additionalProperties: { message: 'Strict checking of data is enabled; only include schema-defined properties' },
        },
      },
    ],
    [
      'unknown direction',
      { sideways: {} },
      { sideways: { additionalProperties: { message: 'Strict checking of data is enabled; only include schema-defined properties' } } },
    ],
  ];
  for (const [name, doc, want] of cases) t.same(callRecording(doc), want, name);

  const ok: JsonObject = {
    inbound: { offnet: { enabled: true, format: 'mp3', record_min_sec: 3, record_on_answer: true, record_on_bridge: false, record_sample_rate: 16000, time_limit: 600, url: 'http://rec.example.com/put' } },
    outbound: { onnet: { enabled: false }, offnet: { format: 'wav' } },
  };
  t.equal(callRecording(ok), null, 'every key with a valid value passes');
  t.end();
});

t.test('document schemas: required fields, bounds and defaults', (t) => {
  t.same(user({}), {
    first_name: { required: { message: 'Field is required but missing' } },
    last_name: { required: { message: 'Field is required but missing' } },
  });
  const u: JsonObject = { first_name: 'A', last_name: 'B', anything_else: { kept: true } };
  t.equal(user(u), null, 'top level stays open as in Kazoo');
  t.same(u, { first_name: 'A', last_name: 'B', anything_else: { kept: true }, enabled: true, priv_level: 'user' }, 'defaults written');

  t.same(device({ name: 'd', sip: { username: 'x', password: '123' } }), {
    'sip.username': { minLength: { message: 'String must be at least 2 characters', target: 2, cause: 'x' } },
    'sip.password': { minLength: { message: 'String must be at least 5 characters', target: 5, cause: '123' } },
  });
  t.same(account({ name: '', realm: 'bad realm!' }), {
    name: { minLength: { message: 'String must be at least 1 characters', target: 1, cause: '' } },
    realm: { pattern: { message: "Failed to match pattern '^[.\\w_-]+$'", target: '^[.\\w_-]+$' } },
  });
  t.same(account({ name: 'a', call_recording: { account: { inbound: { onnet: { enabled: 'x' } } } } }), {
    'call_recording.account.inbound.onnet.enabled': { type: { message: 'Value did not match type(s): boolean', target: 'boolean' } },
  });
  t.same(resource({ name: 'r', gateways: [{ port: 70000 }], weight_cost: 101, inbound_ips: ['not-an-ip'] }), {
    'gateways.0.server': { required: { message: 'Field is required but missing' } },
    'gateways.0.port': { maximum: { message: 'Value must be at most 65535', target: 65535 } },
    weight_cost: { maximum: { message: 'Value must be at most 100', target: 100 } },
    'inbound_ips.0': { format: { message: 'Value did not match format: ip-address', target: 'ip-address' } },
  });
  // SRTP toward a trunk / device, TLS toward a gateway (issue 15).
  t.equal(resource({ name: 'r', gateways: [{ server: 'sbc.example', transport: 'tls' }], media: { srtp: 'sdes' } }), null);
  t.ok(resource({ name: 'r', gateways: [{ server: 'sbc.example' }], media: { srtp: 'zrtp' } })?.['media.srtp'], 'unknown SRTP mode refused');
  t.equal(device({ name: 'd', media: { encryption: { methods: ['srtp'] } } }), null);
  t.ok(device({ name: 'd', media: { encryption: { methods: ['zrtp'] } } })?.['media.encryption.methods.0'], 'unknown method refused');
  t.end();
});

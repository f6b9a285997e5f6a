import { Type, type TSchema } from '@sinclair/typebox';
import { AccountCallRecording, CallRecording } from '../policy/settings-schema';
import { RetentionSchema } from '../storage/retention';
import { AccountStorageSchema } from '../storage/account-storage';
import { MetaflowsConfig } from '../policy/metaflows-schema';

/**
 * Crossbar document schemas: the fields this product uses, with the types, bounds, enums and
 * defaults of Kazoo's applications/crossbar/priv/couchdb/schemas/*.json. As in Kazoo, documents
 * stay open at the top level (unknown fields are stored as given, `additionalProperties` is not
 * set), while `call_recording` is closed (additionalProperties false) as Kazoo declares it. The
 * recording schemas themselves belong to the policy part and are imported, never copied.
 */

const Str = (opts: { minLength?: number; maxLength?: number; pattern?: string; format?: string; description?: string } = {}) =>
  Type.String(opts);

export const AccountDocSchema = Type.Object({
  name: Str({ minLength: 1, maxLength: 128, description: 'A friendly name for the account' }),
  realm: Type.Optional(Str({ minLength: 4, maxLength: 253, pattern: '^[.\\w_-]+$', description: "The realm of the account, ie: 'account1.2600hz.com'" })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  language: Type.Optional(Str()),
  timezone: Type.Optional(Str({ minLength: 5, maxLength: 32 })),
  org: Type.Optional(Str()),
  call_recording: Type.Optional(AccountCallRecording),
  /** How long call records, recordings and kept files live (days), inherited down the tree (issue 15). */
  retention: Type.Optional(RetentionSchema),
  /** S3 credentials (the secret is write-only) and the metadata sidecar (issue 15). */
  storage: Type.Optional(AccountStorageSchema),
  /** In-call feature codes (Kazoo's konami metaflows), e.g. `*1` toggles record_call. */
  metaflows: Type.Optional(MetaflowsConfig),
});

export const UserDocSchema = Type.Object({
  first_name: Str({ minLength: 1, maxLength: 128 }),
  last_name: Str({ minLength: 1, maxLength: 128 }),
  username: Type.Optional(Str({ minLength: 1, maxLength: 256, pattern: '^([+@.\\w_-]+)$' })),
  email: Type.Optional(Str({ minLength: 1, maxLength: 254, format: 'email' })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  priv_level: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('admin')], { default: 'user' })),
  /** The web page's login (PUT /v2/user_auth); write-only: stored as a scrypt hash, never shown. */
  password: Type.Optional(Str({ minLength: 8, maxLength: 128 })),
  call_recording: Type.Optional(CallRecording),
});

export const DeviceDocSchema = Type.Object({
  name: Str({ minLength: 1, maxLength: 128 }),
  owner_id: Type.Optional(Str({ minLength: 32, maxLength: 32, description: "The ID of the user object that 'owns' the device" })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  device_type: Type.Optional(Str()),
  sip: Type.Optional(
    Type.Object({
      method: Type.Optional(Type.Union([Type.Literal('password'), Type.Literal('ip')], { default: 'password' })),
      username: Type.Optional(Str({ minLength: 2, maxLength: 32 })),
      password: Type.Optional(Str({ minLength: 5, maxLength: 32 })),
      realm: Type.Optional(Str({ minLength: 4, maxLength: 253, pattern: '^[.\\w_-]+$' })),
      ip: Type.Optional(Str({ format: 'ip-address' })),
      registration_expiration: Type.Optional(Type.Integer({ default: 300 })),
      invite_format: Type.Optional(
        Type.Union(['username', 'npan', '1npan', 'e164', 'route'].map((v) => Type.Literal(v)), { default: 'username' }),
      ),
    }),
  ),
  call_recording: Type.Optional(CallRecording),
  /** Kazoo's device media settings; `encryption.methods` ["srtp"] (SDES) or ["dtls"] asks for SRTP on calls to the device. */
  media: Type.Optional(Type.Object({
    encryption: Type.Optional(Type.Object({
      methods: Type.Optional(Type.Array(Type.Union([Type.Literal('srtp'), Type.Literal('dtls')]), { default: [] })),
    })),
  })),
});

/**
 * A callflow node: `module` to run with `data`, and `children` keyed by branch (`_` the default).
 * Module data is checked per module afterwards (record_call / record_caller against the policy
 * part's action schemas), see routes/callflows.ts.
 */
export const CallflowNodeSchema = Type.Recursive(
  (Node) =>
    Type.Object({
      module: Str({ minLength: 1, maxLength: 64 }),
      data: Type.Object({}, { default: {} }),
      children: Type.Optional(Type.Record(Type.String(), Node, { default: {} })),
    }),
  { $id: 'callflows.node' },
);

export const CallflowDocSchema = Type.Object({
  name: Type.Optional(Str({ maxLength: 128 })),
  numbers: Type.Array(Str({ minLength: 1, maxLength: 36 }), { default: [] }),
  patterns: Type.Array(Str({ minLength: 1 }), { default: [] }),
  flow: CallflowNodeSchema,
});

export const GatewaySchema = Type.Object({
  server: Str({ minLength: 1, maxLength: 64, description: 'This resource gateway server' }),
  /** Not in Kazoo's gateway (it derives the port from `server`); the SIP engine needs it split. */
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 5060 })),
  /** Not in Kazoo's gateway either; the transport towards the provider. */
  transport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')], { default: 'udp' })),
  realm: Type.Optional(Str({ maxLength: 64 })),
  username: Type.Optional(Str({ maxLength: 32 })),
  password: Type.Optional(Str({ maxLength: 32 })),
  register: Type.Optional(Type.Boolean({ default: false })),
  prefix: Type.Optional(Str({ maxLength: 64 })),
  suffix: Type.Optional(Str({ maxLength: 64 })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
});

export const ResourceDocSchema = Type.Object({
  name: Str({ minLength: 1, maxLength: 128 }),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  emergency: Type.Optional(Type.Boolean({ default: false })),
  weight_cost: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, default: 50 })),
  flags: Type.Array(Str(), { default: [] }),
  rules: Type.Array(Str(), { default: [] }),
  gateways: Type.Array(GatewaySchema),
  /**
   * Source addresses calls from this trunk arrive from, besides the gateways' servers (Kazoo
   * matches trunks by ACLs kept elsewhere; here they live on the resource).
   */
  inbound_ips: Type.Optional(Type.Array(Str({ format: 'ip-address' }), { default: [] })),
  /** Not in Kazoo: media encryption toward this trunk (SRTP by rtpengine; `passthrough` = as the caller offers). */
  media: Type.Optional(Type.Object({
    srtp: Type.Optional(Type.Union(['none', 'sdes', 'dtls', 'passthrough'].map((v) => Type.Literal(v)), { default: 'none' })),
  })),
});

export const ApiAuthSchema = Type.Object({
  /** Kazoo's account keys are 64 hex characters; the bootstrap key may be any non-empty string. */
  api_key: Str({ minLength: 1, maxLength: 256 }),
});

/** PUT /v2/user_auth; the account is named by realm or by name (one of them is required). */
export const UserAuthSchema = Type.Object({
  username: Str({ minLength: 1, maxLength: 256 }),
  password: Str({ minLength: 1, maxLength: 128 }),
  account_realm: Type.Optional(Str({ minLength: 1, maxLength: 253 })),
  account_name: Type.Optional(Str({ minLength: 1, maxLength: 128 })),
});

export const DOC_SCHEMAS: Record<'accounts' | 'users' | 'devices' | 'callflows' | 'resources', TSchema> = {
  accounts: AccountDocSchema,
  users: UserDocSchema,
  devices: DeviceDocSchema,
  callflows: CallflowDocSchema,
  resources: ResourceDocSchema,
};

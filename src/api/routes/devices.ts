import type { FastifyInstance } from 'fastify';
import { NotFoundError, isJsonObject, publicFields, type JsonObject } from '../../store';
import type { ApiContext } from '../context';
import { DeviceDocSchema } from '../schemas';
import { compileValidator, type FieldErrors } from '../validation';
import { pick, registerCollectionRoutes, type CollectionSpec } from './collection';

function sipOf(doc: JsonObject): JsonObject {
  const sip = doc['sip'];
  return isJsonObject(sip) ? sip : {};
}

/**
 * /v2/accounts/{ACCOUNT_ID}/devices: SIP endpoints that register as sip.username@realm.
 * Credentials must be unique within the realm they authenticate in, and the owner must be a user
 * of the same account (otherwise another tenant's recording settings would apply to the device).
 */
export function devicesSpec(ctx: ApiContext): CollectionSpec {
  return {
    collection: 'devices',
    validate: compileValidator(ctx.ajv, DeviceDocSchema),
    async check(ctx, account, doc, selfId) {
      const errors: FieldErrors = {};
      const sip = sipOf(doc);
      const username = sip['username'];
      if (typeof username === 'string') {
        const realm = typeof sip['realm'] === 'string' ? sip['realm'] : account['realm'];
        if (typeof realm === 'string') {
          const match = await ctx.store.findDeviceBySipCredentials(username, realm);
          if (match !== undefined && match.device._id !== selfId) {
            errors['sip.username'] = { unique: { message: 'SIP credentials already in use', cause: username } };
          }
        }
      }
      const owner = doc['owner_id'];
      if (typeof owner === 'string') {
        let ok = false;
        try {
          ok = (await ctx.store.read('users', owner)).pvt_account_id === account._id;
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
        if (!ok) errors['owner_id'] = { not_found: { message: 'Owner is not a user of this account', cause: owner } };
      }
      return errors;
    },
    summary: (doc) => {
      const pub = publicFields(doc);
      const out: JsonObject = { id: doc._id, ...pick(pub, ['name', 'owner_id', 'enabled', 'device_type']) };
      const username = sipOf(pub)['username'];
      if (username !== undefined) out['username'] = username;
      return out;
    },
  };
}

export function registerDeviceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerCollectionRoutes(app, ctx, devicesSpec(ctx));
}

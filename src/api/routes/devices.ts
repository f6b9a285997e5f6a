import type { FastifyInstance } from 'fastify';
import { isJsonObject, publicFields, type JsonObject } from '../../store';
import type { ApiContext } from '../context';
import { checkReferences } from '../references';
import { DeviceDocSchema } from '../schemas';
import { compileValidator, mergeErrors, type FieldErrors } from '../validation';
import { pick, registerCollectionRoutes, type CollectionSpec } from './collection';

function sipOf(doc: JsonObject): JsonObject {
  const sip = doc['sip'];
  return isJsonObject(sip) ? sip : {};
}

/**
 * /v2/accounts/{ACCOUNT_ID}/devices: SIP endpoints that register as sip.username@realm.
 * Credentials must be unique within the realm they authenticate in, a realm of the device's own
 * must not be another account's, and the owner must be a user of the same account (otherwise
 * calls to another tenant's user would ring this device, and its recording settings apply).
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
      const ownRealm = sip['realm'];
      if (typeof ownRealm === 'string') {
        // A device's own realm is where it authenticates: another account's realm would put it
        // in that tenant's namespace (and take usernames from it).
        const holder = await ctx.store.findAccountByRealm(ownRealm);
        if (holder !== undefined && holder._id !== account._id) {
          errors['sip.realm'] = { unique: { message: 'Realm belongs to another account', cause: ownRealm } };
        }
      }
      const owner = doc['owner_id'];
      if (typeof owner === 'string') mergeErrors(errors, await checkReferences(ctx, account, [{ path: 'owner_id', collection: 'users', id: owner }]));
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

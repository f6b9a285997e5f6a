import type { FastifyInstance } from 'fastify';
import { publicFields } from '../../store';
import type { ApiContext } from '../context';
import { hashPassword } from '../passwords';
import { UserDocSchema } from '../schemas';
import { compileValidator, type FieldErrors } from '../validation';
import { pick, registerCollectionRoutes, type CollectionSpec } from './collection';

/** /v2/accounts/{ACCOUNT_ID}/users: people; their call_recording applies to the devices they own. */
export function usersSpec(ctx: ApiContext): CollectionSpec {
  return {
    collection: 'users',
    validate: compileValidator(ctx.ajv, UserDocSchema),
    async check(ctx, account, doc, selfId) {
      const errors: FieldErrors = {};
      const username = doc['username'];
      if (typeof username === 'string') {
        const same = await ctx.store.findBy('users', 'username', username, account._id);
        if (same.some((u) => u._id !== selfId)) {
          errors['username'] = { unique: { message: 'User name already in use', cause: username } };
        }
      }
      return errors;
    },
    async seal(doc) {
      const { password, ...rest } = doc;
      return typeof password === 'string' ? { ...rest, pvt_password_hash: await hashPassword(password) } : rest;
    },
    summary: (doc) => ({
      id: doc._id,
      ...pick(publicFields(doc), ['username', 'first_name', 'last_name', 'email', 'priv_level', 'enabled']),
    }),
  };
}

export function registerUserRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerCollectionRoutes(app, ctx, usersSpec(ctx));
}

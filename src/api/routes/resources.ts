import type { FastifyInstance } from 'fastify';
import { isJsonObject, publicFields } from '../../store';
import type { ApiContext } from '../context';
import { ResourceDocSchema } from '../schemas';
import { addFieldError, compileValidator, type FieldErrors, type Validator } from '../validation';
import { pick, registerCollectionRoutes, type CollectionSpec } from './collection';

/** True when `s` compiles as a JavaScript regular expression (rules and patterns are used so). */
export function isRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * Schema validation plus what the trunk code relies on: every rule compiles, and a gateway that
 * asks to be registered to carries the credentials to do it.
 */
function resourceValidator(ctx: ApiContext): Validator {
  const schema = compileValidator(ctx.ajv, ResourceDocSchema);
  return (doc) => {
    const errors: FieldErrors = schema(doc) ?? {};
    const rules = doc['rules'];
    if (Array.isArray(rules)) {
      rules.forEach((r, i) => {
        if (typeof r === 'string' && !isRegex(r)) addFieldError(errors, `rules.${i}`, 'invalid', { message: 'Invalid regular expression', cause: r });
      });
    }
    const gateways = doc['gateways'];
    if (Array.isArray(gateways)) {
      gateways.forEach((g, i) => {
        if (!isJsonObject(g) || g['register'] !== true) return;
        for (const k of ['username', 'password']) {
          if (typeof g[k] !== 'string' || g[k] === '') {
            addFieldError(errors, `gateways.${i}.${k}`, 'required', { message: 'Field is required but missing' });
          }
        }
      });
    }
    return Object.keys(errors).length > 0 ? errors : null;
  };
}

/** /v2/accounts/{ACCOUNT_ID}/resources: the account's trunks (Kazoo's local resources). */
export function resourcesSpec(ctx: ApiContext): CollectionSpec {
  return {
    collection: 'resources',
    validate: resourceValidator(ctx),
    summary: (doc) => {
      const pub = publicFields(doc);
      const out = { id: doc._id, ...pick(pub, ['name', 'enabled', 'emergency']) };
      return pub['weight_cost'] !== undefined ? { ...out, weight: pub['weight_cost'] } : out;
    },
  };
}

export function registerResourceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerCollectionRoutes(app, ctx, resourcesSpec(ctx));
}

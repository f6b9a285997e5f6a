import type { FastifyInstance } from 'fastify';
import { RecordCallAction, RecordCallerAction } from '../../policy/settings-schema';
import { isJsonObject, publicFields, type Collection, type JsonObject } from '../../store';
import type { ApiContext } from '../context';
import { checkReferences, type Reference } from '../references';
import { CallflowDocSchema } from '../schemas';
import { addFieldError, compileValidator, mergeErrors, prefixErrors, type FieldErrors, type Validator } from '../validation';
import { isRegex } from './resources';
import { pick, registerCollectionRoutes, type CollectionSpec } from './collection';

/** Deepest flow accepted; a deeper tree is almost certainly a mistake, and walks must end. */
const MAX_FLOW_DEPTH = 64;

/**
 * Visits every node of a flow tree with its Crossbar path (`flow`, `flow.children._`, ...),
 * depth first, children included. A node deeper than MAX_FLOW_DEPTH is reported to `tooDeep`
 * instead and not entered, so the walk ends on any document.
 */
function walkNodes(flow: JsonObject, visit: (node: JsonObject, path: string) => void, tooDeep: (path: string) => void = () => undefined): void {
  const walk = (node: JsonObject, path: string, depth: number): void => {
    if (depth > MAX_FLOW_DEPTH) {
      tooDeep(path);
      return;
    }
    visit(node, path);
    const children = node['children'];
    if (isJsonObject(children)) {
      for (const [branch, child] of Object.entries(children)) {
        if (isJsonObject(child)) walk(child, `${path}.children.${branch}`, depth + 1);
      }
    }
  };
  walk(flow, 'flow', 1);
}

/**
 * Validates each node's `data` with its module's schema (record_call and record_caller with
 * the policy part's action schemas), reporting errors under the node's path
 * (`flow.children._.data.format`). Modules without a schema here keep Kazoo's open `data`.
 */
function flowValidator(moduleValidators: Record<string, Validator>): (flow: JsonObject) => FieldErrors {
  return (flow) => {
    const errors: FieldErrors = {};
    walkNodes(flow, (node, path) => {
      const module = node['module'];
      const data = node['data'];
      if (typeof module === 'string' && isJsonObject(data)) {
        const v = moduleValidators[module];
        const e = v === undefined ? null : v(data);
        if (e !== null) mergeErrors(errors, prefixErrors(`${path}.data`, e));
      }
    }, (path) => addFieldError(errors, path, 'maxDepth', { message: `The flow is deeper than ${MAX_FLOW_DEPTH} nodes` }));
    return errors;
  };
}

/**
 * The ids a flow's nodes name, per module: what the device and user modules ring
 * (`data.id`), and the account whose trunks Kazoo's resources module would hunt
 * (`data.hunt_account_id`). Each must be the callflow's own account's (see ../references.ts).
 */
const NODE_REFERENCES: Record<string, { field: string; collection: Collection }[]> = {
  device: [{ field: 'id', collection: 'devices' }],
  user: [{ field: 'id', collection: 'users' }],
  resources: [{ field: 'hunt_account_id', collection: 'accounts' }],
};

/** The references of every node of the flow, or a type error for an id that is not a string. */
function flowReferences(flow: JsonObject): { refs: Reference[]; errors: FieldErrors } {
  const refs: Reference[] = [];
  const errors: FieldErrors = {};
  walkNodes(flow, (node, path) => {
    const module = node['module'];
    const data = node['data'];
    if (typeof module !== 'string' || !isJsonObject(data)) return;
    for (const { field, collection } of NODE_REFERENCES[module] ?? []) {
      const id = data[field];
      if (id === undefined) continue;
      if (typeof id === 'string') refs.push({ path: `${path}.data.${field}`, collection, id });
      else addFieldError(errors, `${path}.data.${field}`, 'type', { message: 'Value did not match type(s): string', target: 'string' });
    }
  });
  return { refs, errors };
}

function callflowValidator(ctx: ApiContext): Validator {
  const schema = compileValidator(ctx.ajv, CallflowDocSchema);
  const modules = flowValidator({
    record_call: compileValidator(ctx.ajv, RecordCallAction),
    record_caller: compileValidator(ctx.ajv, RecordCallerAction),
  });
  return (doc) => {
    const errors: FieldErrors = schema(doc) ?? {};
    const flow = doc['flow'];
    if (isJsonObject(flow)) mergeErrors(errors, modules(flow));
    const patterns = doc['patterns'];
    if (Array.isArray(patterns)) {
      patterns.forEach((p, i) => {
        if (typeof p === 'string' && !isRegex(p)) addFieldError(errors, `patterns.${i}`, 'invalid', { message: 'Invalid regular expression', cause: p });
      });
    }
    return Object.keys(errors).length > 0 ? errors : null;
  };
}

/**
 * /v2/accounts/{ACCOUNT_ID}/callflows. A number routes to one callflow per account, so a number
 * already claimed by another callflow of the account is refused (Kazoo does the same). Every
 * device, user or account a node names must be the callflow's own account's.
 */
export function callflowsSpec(ctx: ApiContext): CollectionSpec {
  return {
    collection: 'callflows',
    validate: callflowValidator(ctx),
    async check(ctx, account, doc, selfId) {
      const errors: FieldErrors = {};
      const flow = doc['flow'];
      if (isJsonObject(flow)) {
        const { refs, errors: typeErrors } = flowReferences(flow);
        mergeErrors(errors, typeErrors);
        mergeErrors(errors, await checkReferences(ctx, account, refs));
      }
      const numbers = doc['numbers'];
      if (!Array.isArray(numbers)) return errors;
      for (const n of numbers) {
        if (typeof n !== 'string') continue;
        const owner = await ctx.store.findCallflowByNumber(account._id, n);
        if (owner !== undefined && owner._id !== selfId) {
          errors['numbers'] = { unique: { message: `Number ${n} exists in callflow ${owner._id}`, cause: n } };
          break;
        }
      }
      return errors;
    },
    summary: (doc) => ({ id: doc._id, ...pick(publicFields(doc), ['name', 'numbers', 'patterns', 'featurecode']) }),
  };
}

export function registerCallflowRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerCollectionRoutes(app, ctx, callflowsSpec(ctx));
}

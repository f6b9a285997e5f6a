import type { AccountCallRecording, CallRecording, RecordingNetworks, RecordingSettings } from './settings-schema';
import type { AccountDoc, CallDirection, Network } from './types';

/**
 * The settings of one slot (direction x network) of a `call_recording` object, with Kazoo's
 * `any` fallbacks (kz_endpoint_v5.erl merge_call_recording/1): the top-level `any` is merged
 * under each direction, then the direction's `any` network under each network, key by key.
 * Lowest to highest precedence: any.any, <dir>.any, any.<net>, <dir>.<net>.
 * Returns undefined when none of the four is present.
 */
export function slotSettings(
  cr: CallRecording | undefined,
  direction: CallDirection | `${CallDirection}`,
  network: Network | `${Network}`,
): RecordingSettings | undefined {
  if (cr === undefined) return undefined;
  const dir: RecordingNetworks | undefined = cr[direction];
  const layers = [cr.any?.any, dir?.any, cr.any?.[network], dir?.[network]];
  return mergeLayers(layers);
}

/** Key-by-key merge, later layers winning; undefined when every layer is absent. */
export function mergeLayers(layers: readonly (RecordingSettings | undefined)[]): RecordingSettings | undefined {
  let out: RecordingSettings | undefined;
  for (const layer of layers) {
    if (layer === undefined) continue;
    out = { ...(out ?? {}), ...definedOnly(layer) };
  }
  return out;
}

function definedOnly(s: RecordingSettings): RecordingSettings {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (v !== undefined && v !== null) out[k] = v;
  return out as RecordingSettings;
}

/** Kazoo's account rule reads `enabled` with kz_json:is_true: only literal true turns it on. */
export function isEnabled(s: RecordingSettings | undefined): boolean {
  return s?.enabled === true;
}

function isAccountShape(cr: AccountCallRecording | CallRecording): cr is AccountCallRecording {
  return 'account' in cr || 'endpoint' in cr || 'pause_mode' in cr;
}

/**
 * Splits an account's `call_recording` into its own rules and the defaults it gives its
 * endpoints. Kazoo's document shape is `{account, endpoint}` (accounts.json); a bare
 * `{inbound, outbound, any}` is read as the account's own rules.
 */
export function accountBranches(account: AccountDoc): { account?: CallRecording; endpoint?: CallRecording } {
  const cr = account.call_recording;
  if (cr === undefined) return {};
  if (isAccountShape(cr)) return { account: cr.account, endpoint: cr.endpoint };
  return { account: cr };
}

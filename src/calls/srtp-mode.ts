import type { SrtpMode } from '../media/srtp';
import { CalleeKind, type Callee } from '../signalling/direction';

/**
 * Media encryption toward the callee, decided before the offer goes out (one offer serves every
 * target): a trunk's `media.srtp` (its first resource's, default none), a device's Kazoo
 * `media.encryption.methods` ("dtls" first, then "srtp" = SDES), else plain RTP.
 */
export function calleeSrtpMode(callee: Callee | undefined): SrtpMode {
  // No callee: a flow that only answers (record_caller) has no second leg to protect.
  if (callee === undefined) return 'none';
  if (callee.kind === CalleeKind.Resource) return callee.resources?.[0]?.srtp ?? 'none';
  if (callee.kind === CalleeKind.Device) {
    const methods = callee.device.encryption ?? [];
    if (methods.includes('dtls')) return 'dtls';
    if (methods.includes('srtp')) return 'sdes';
  }
  return 'none';
}

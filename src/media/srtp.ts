/**
 * Media encryption per leg (SRTP: SDES RFC 4568, DTLS-SRTP RFC 5764), done by rtpengine: each
 * leg gets the RTP profile it asked for or its settings say, and rtpengine encrypts, decrypts or
 * passes through between them (NG `transport-protocol` per direction). The recorder's fork is
 * always plain RTP/AVP, decrypted by rtpengine.
 */

/**
 * What the leg toward a callee gets: `none` plain RTP/AVP, `sdes` RTP/SAVP with a=crypto keys,
 * `dtls` UDP/TLS/RTP/SAVP with a DTLS handshake on the media path, `passthrough` the caller's
 * own profile.
 */
export type SrtpMode = 'none' | 'sdes' | 'dtls' | 'passthrough';
export const SRTP_MODES: readonly SrtpMode[] = ['none', 'sdes', 'dtls', 'passthrough'];

export const PLAIN_RTP = 'RTP/AVP';
const PROFILE: Record<Exclude<SrtpMode, 'passthrough'>, string> = {
  none: PLAIN_RTP,
  sdes: 'RTP/SAVP',
  dtls: 'UDP/TLS/RTP/SAVP',
};

/** The proto of the first audio m= line (RFC 4566 5.14), e.g. RTP/SAVP; undefined without one. */
export function offeredProtocol(sdp: string): string | undefined {
  return /^m=audio +\d+(?:\/\d+)? +(\S+)/m.exec(sdp)?.[1];
}

/** Whether the SDP carries SDES keys (RFC 4568 a=crypto) or a DTLS fingerprint (RFC 8122). */
export function encryptionOf(sdp: string): { sdes: boolean; dtls: boolean } {
  return { sdes: /^a=crypto:/m.test(sdp), dtls: /^a=fingerprint:/m.test(sdp) };
}

/** The profile the leg toward the callee gets, given its mode and what the caller offered. */
export function legProtocol(mode: SrtpMode, callerProtocol: string | undefined): string {
  return mode === 'passthrough' ? callerProtocol ?? PLAIN_RTP : PROFILE[mode];
}

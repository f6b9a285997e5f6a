/** The subset of SDP (RFC 4566 / RFC 8866) the media part reads and writes. */

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface Rtpmap {
  payloadType: number;
  encoding: string;
  clockRate: number;
  channels?: number;
}

export interface SdpMedia {
  type: string;
  port: number;
  proto: string;
  /** Format list in m-line order (payload types for RTP/AVP). */
  formats: string[];
  /** Media-level `c=` address (IPv4/IPv6 literal or name). */
  connection?: string;
  rtpmaps: Rtpmap[];
  direction?: Direction;
  /** RFC 4574 `a=label`. */
  label?: string;
  /** RFC 5888 `a=mid`. */
  mid?: string;
  ptime?: number;
  /** RFC 3605 `a=rtcp:` port. */
  rtcpPort?: number;
  /** Every other attribute, verbatim without the `a=` prefix, in order. */
  otherAttributes: string[];
  /** Other media-level lines (`i=`, `b=`, `k=`), verbatim with their prefix. */
  otherLines: string[];
}

export interface Sdp {
  /** Session lines other than `c=` and `a=` (v, o, s, i, u, e, p, b, t, r, z, k), verbatim, in order. */
  sessionLines: string[];
  /** Session-level `c=` address. */
  connection?: string;
  /** `IP4` or `IP6` of the session-level connection (default IP4 when serializing). */
  addressType?: 'IP4' | 'IP6';
  direction?: Direction;
  /** Other session-level attributes, verbatim without `a=`. */
  attributes: string[];
  media: SdpMedia[];
}

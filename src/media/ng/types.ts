/** Typed NG requests and results used by MediaServer (rtpengine ng_control_protocol). */

export interface OfferParams {
  callId: string;
  /** Tag of the party sending this offer (its SIP From-tag, or To-tag for an in-dialog re-offer from the callee). */
  fromTag: string;
  /** Tag of the other party, on re-offers inside an established dialog. */
  toTag?: string;
  sdp: string;
  /** Extra NG flags (merged with the defaults). */
  flags?: string[];
  /** Raw NG keys to add or override. */
  extra?: Record<string, unknown>;
}

export interface AnswerParams {
  callId: string;
  /** Tag of the party that sent the offer this answers. */
  fromTag: string;
  /** Tag of the party answering. */
  toTag: string;
  sdp: string;
  flags?: string[];
  extra?: Record<string, unknown>;
}

export interface DeleteParams {
  callId: string;
  /** Delete only this party's branch (e.g. one losing fork of a parallel ring); whole call when absent. */
  fromTag?: string;
  toTag?: string;
}

export interface SubscribeRequestParams {
  callId: string;
  /** Default ['all']: one m-line per participant of the call. */
  flags?: string[];
  /** Subscribe to these parties only (instead of flag 'all'). */
  fromTags?: string[];
  /**
   * Codecs rtpengine should be able to transcode the fork to: added to its offer
   * (`codec: {transcode}` + flag 'allow transcoding'); the subscriber picks in its answer.
   */
  transcode?: string[];
}

export interface SubscribeRequestResult {
  /** rtpengine's SDP offer to the subscriber: one sendonly m-line per participant. */
  sdp: string;
  /** The subscription's tag (used in subscribe answer / unsubscribe). */
  toTag: string;
  /** Participant tags in m-line order. */
  fromTags: string[];
}

export interface SubscribeAnswerParams {
  callId: string;
  toTag: string;
  sdp: string;
  /** Codecs the answer picked that need transcoding (sends `codec: {transcode}` + flag 'allow transcoding'). */
  transcode?: string[];
}

/** What `play media` plays: a file on the rtpengine host (absolute path). */
export interface PlaySource {
  readonly file: string;
}

export interface PlayMediaParams {
  callId: string;
  /** The monologue the media is played to (a party's tag, or a fork subscription's to-tag). */
  fromTag: string;
  source: PlaySource;
}

export interface UnsubscribeParams {
  callId: string;
  toTag: string;
}

/** The part of a `query` answer we read: per tag, its media streams and packet counters. */
export interface QueryStream {
  'local port'?: number;
  endpoint?: { address?: string; port?: number };
  stats?: { packets?: number; bytes?: number; errors?: number };
}

export interface QueryTag {
  tag?: string;
  medias?: Array<{ index?: number; streams?: QueryStream[] }>;
}

export interface QueryResult {
  created?: number;
  tags?: Record<string, QueryTag>;
  totals?: Record<string, unknown>;
}

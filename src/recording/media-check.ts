import type { CallMedia, Side } from '../media';
import type { LegStats, RecordingResult, RecorderSession } from '../recorder';

/**
 * Whether a recording holds the media the call carried. rtpengine counts the RTP it received
 * from each party; the recorder counts what reached it through the fork. A recording whose
 * fork never started, broke, or delivered far fewer packets than the party sent is not a
 * complete recording, whatever its file looks like (an empty fork still yields a valid file
 * of silence): it is reported `partial` or `failed` with the reason, never `completed`.
 */

export type MediaStatus = 'complete' | 'partial' | 'failed';

export interface LegMedia {
  /** RTP packets rtpengine received from this party during the recording's window. */
  forwarded: number;
  /** Packets that reached the recorder in that window (any payload type, as rtpengine counts them). */
  received: number;
  /** Packets that reached the recorder in a payload type it does not decode (not telephone-event). */
  undecodable: number;
  /** rtpengine transcodes this party's stream for the fork (packet counts may then differ). */
  transcoded: boolean;
  /**
   * SRTP packets from this party rtpengine dropped in the window because they failed
   * authentication (RFC 3711 3.3: a key other than the one negotiated): never recorded, as noise
   * or at all. Counted for SRTP parties only.
   */
  undecryptable?: number;
  /**
   * Silence the recorder put in where this party's stream fell behind the call's clock, and
   * audio it dropped as overlap (LegStats.paddedMs / trimmedMs), ms in the window. Shown, not
   * judged: a slow or fast sound card does this without any media missing.
   */
  paddedMs?: number;
  trimmedMs?: number;
}

export interface MediaVerdict {
  status: MediaStatus;
  /** Why not complete; null when complete. */
  reason: string | null;
  legs: Record<string, LegMedia>;
}

/** The counters a recording's window starts from. */
export type MediaBase = Promise<Snapshot>;

export interface MediaCheckInput {
  legs: Record<string, LegMedia>;
  /** The fork could not be set up (rtpengine refused it...): its error message. */
  forkError?: string;
  /** The media anchor failed under the call (rtpengine died or timed out). */
  mediaFailed?: boolean;
}

/** Packets (20 ms each at the usual ptime: 1 s) a leg may miss before the recording is partial. */
export const MISSING_PACKETS_TOLERATED = 50;
/** ...or this share of what the party sent, whichever is larger (races at start and stop). */
export const MISSING_SHARE_TOLERATED = 0.05;

/** At most this share of the call's packets reached the recorder: it holds no usable media. */
export const ALMOST_NOTHING = 0.02;

/** Pure: the verdict on one recording's media. Table-tested in test/unit/recording/media-check.test.ts. */
export function mediaVerdict(input: MediaCheckInput): MediaVerdict {
  const legs = input.legs;
  const names = Object.keys(legs);
  const got = names.reduce((n, l) => n + legs[l].received, 0);
  const sent = names.reduce((n, l) => n + legs[l].forwarded, 0);
  if (input.forkError !== undefined && got === 0) {
    return { status: 'failed', reason: `recording fork failed: ${input.forkError}`, legs };
  }
  const undecryptable = names.reduce((n, l) => n + (legs[l].undecryptable ?? 0), 0);
  if (sent === 0 && got === 0 && undecryptable > MISSING_PACKETS_TOLERATED) {
    return { status: 'failed', reason: `srtp_auth: every party's SRTP failed authentication (${undecryptable} packets), nothing recorded`, legs };
  }
  if (sent > 0 && got <= sent * ALMOST_NOTHING) {
    return { status: 'failed', reason: `no media reached the recorder (${got} of the ${sent} packets rtpengine received from the parties)`, legs };
  }
  const gaps: string[] = [];
  for (const name of names) {
    const l = legs[name];
    if ((l.undecryptable ?? 0) > MISSING_PACKETS_TOLERATED) {
      gaps.push(`srtp_auth: ${name}: ${l.undecryptable} SRTP packets failed authentication (not the negotiated key), none recorded`);
    }
    if (l.undecodable > MISSING_PACKETS_TOLERATED) gaps.push(`${name}: ${l.undecodable} packets in a codec the recorder cannot decode`);
    const missing = l.forwarded - l.received;
    // A transcoded stream may be re-packetized by rtpengine: only its total absence counts.
    const limit = l.transcoded ? l.forwarded - 1 : Math.max(MISSING_PACKETS_TOLERATED, l.forwarded * MISSING_SHARE_TOLERATED);
    if (l.forwarded > 0 && missing > limit) gaps.push(`${name}: recorder got ${l.received} of ${l.forwarded} packets`);
  }
  if (input.forkError !== undefined) gaps.unshift(`recording fork failed: ${input.forkError}`);
  if (input.mediaFailed) gaps.unshift('media anchor failed during the call');
  if (gaps.length > 0) return { status: 'partial', reason: gaps.join('; '), legs };
  return { status: 'complete', reason: null, legs };
}

/** Counters at one moment: rtpengine's per party, the recorder's per leg. */
export interface Snapshot {
  engine: Record<Side, number> | null;
  /** rtpengine's error count per SRTP party (failed authentication); 0 for plain RTP parties. */
  srtpErrors?: Record<Side, number>;
  recorder: Record<string, LegStats>;
}

/** Recorder counters of a leg: every RTP packet that arrived (as rtpengine counts), and the undecodable ones. */
function recorderCounts(s: LegStats | undefined): { arrived: number; undecodable: number; paddedMs: number; trimmedMs: number } {
  return { arrived: (s?.received ?? 0) + (s?.ignored ?? 0), undecodable: s?.undecodable ?? 0, paddedMs: s?.paddedMs ?? 0, trimmedMs: s?.trimmedMs ?? 0 };
}

/**
 * The I/O side of the check for one call: snapshots of rtpengine's and the recorder's counters
 * when the fork starts (or when a recording begins later) and when a recording ends, and the
 * verdict over the difference. Telephone-event packets are counted by both sides alike.
 */
export class MediaWitness {
  private forkBase: Promise<Snapshot> | undefined;
  private forkError: string | undefined;
  private mediaFailed = false;
  private readonly transcoded = new Map<string, boolean>();

  /** `media` is read when needed: the call's media exists only once its offer was anchored. */
  constructor(private readonly media: () => CallMedia | undefined, private readonly session: RecorderSession) {}

  /** The fork is up: its streams' facts, and the base every recording begun before now uses. */
  forked(streams: readonly { leg: string; transcoded: boolean }[]): void {
    for (const s of streams) this.transcoded.set(s.leg, s.transcoded);
    this.forkBase = this.snapshot();
  }

  forkFailed(message: string): void {
    this.forkError = message;
  }

  anchorFailed(): void {
    this.mediaFailed = true;
  }

  /** Base for a recording beginning now: after the fork, a fresh snapshot; before it, the fork's. */
  baseForBegin(): Promise<Snapshot> | undefined {
    return this.forkBase ? this.snapshot() : undefined;
  }

  /** The verdict for a finished recording, given its base (undefined: the fork's). */
  async verdict(base: Promise<Snapshot> | undefined, result: RecordingResult): Promise<MediaVerdict> {
    const legs: Record<string, LegMedia> = {};
    const from = await (base ?? this.forkBase);
    const to = await this.snapshot();
    for (const leg of Object.keys(result.legs)) {
      const side: Side | undefined = leg === 'caller' || leg === 'callee' ? leg : undefined;
      const forwarded = from?.engine && to.engine && side ? Math.max(0, to.engine[side] - from.engine[side]) : 0;
      const a = recorderCounts(from?.recorder[leg]);
      const b = recorderCounts(to.recorder[leg]);
      const undecryptable = from?.srtpErrors && to.srtpErrors && side ? Math.max(0, to.srtpErrors[side] - from.srtpErrors[side]) : 0;
      const [paddedMs, trimmedMs] = [b.paddedMs - a.paddedMs, b.trimmedMs - a.trimmedMs];
      legs[leg] = {
        forwarded,
        received: b.arrived - a.arrived,
        undecodable: b.undecodable - a.undecodable,
        transcoded: this.transcoded.get(leg) ?? false,
        ...(undecryptable > 0 ? { undecryptable } : {}),
        ...(paddedMs > 0 ? { paddedMs } : {}),
        ...(trimmedMs > 0 ? { trimmedMs } : {}),
      };
    }
    return mediaVerdict({
      legs,
      ...(this.forkError !== undefined ? { forkError: this.forkError } : {}),
      ...(this.mediaFailed ? { mediaFailed: true } : {}),
    });
  }

  private async snapshot(): Promise<Snapshot> {
    const recorder = await this.session.stats();
    let engine: Record<Side, number> | null = null;
    let srtpErrors: Record<Side, number> | undefined;
    const media = this.media();
    if (media) {
      try {
        const s = await media.stats();
        engine = { caller: s.caller.packets, callee: s.callee.packets };
        // rtpengine counts a failed SRTP authentication as an error of that stream.
        srtpErrors = { caller: media.isSrtp('caller') ? s.caller.errors : 0, callee: media.isSrtp('callee') ? s.callee.errors : 0 };
      } catch {
        engine = null; // no counters (rtpengine gone): the check compares nothing for this window
      }
    }
    return { engine, recorder, ...(srtpErrors ? { srtpErrors } : {}) };
  }
}

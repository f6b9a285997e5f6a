import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { parseRtpInto, RtpHeader } from './rtp';
import { decodeG711Into, ULAW_TABLE, ALAW_TABLE, PT_PCMU, PT_PCMA } from './g711';
import { JitterBuffer } from './jitter-buffer';
import { LegAligner } from './aligner';
import { Recording, type LegStats, type RecordingResult, type RecordingSettings, type StopReason } from './recording';
import type { EncoderFactory } from './encoder/output-job';
import { RecordingStateError, RecorderConfigError } from './errors';
import { parseTelephoneEvent } from './telephone-event';
import { sharedTicker, TICK_MS, type Tickable } from './ticker';
import type { RecorderSession } from './contract';
import { rtpSockets, type ReceiveSetting, type RtpSocket, type RtpSockets } from './udp/sockets';

const RATE = 8000;
const FRAME = 160; // 20 ms at 8 kHz
/** A leg's read per tick to start with: one period of audio (TICK_MS). */
const CHUNK_SAMPLES = (TICK_MS * RATE) / 1000;
/** A leg's decode buffer to start with: 128 ms of G.711, more than any common ptime (RFC 3551 4.5: 20 ms default). */
const PACKET_SAMPLES = 1024;
/** Comfort noise (RFC 3389), static payload type 13: silence, not a codec we miss. */
const PT_CN = 13;

export interface SessionOptions {
  readonly callId: string;
  /** Participants in channel order (left first). Default ['caller', 'callee']. */
  readonly legs?: readonly string[];
  /** Where recordings are encoded: an EncoderPool (worker threads) or InThreadEncoders. */
  readonly pool: EncoderFactory;
  readonly host?: string;
  /** Fixed port per leg (tests); otherwise portRange, otherwise the OS chooses. */
  readonly ports?: Readonly<Record<string, number>>;
  readonly portRange?: { readonly min: number; readonly max: number };
  /** Jitter buffer window and playout delay (default 500 ms, as recorder.jitterMs). */
  readonly jitterMs?: number;
  /** Directory and prefix for default recording paths. */
  readonly spoolDir?: string;
  /** Dynamic payload type of RFC 4733 telephone-events (DTMF), reported as 'dtmf' events. */
  readonly telephoneEventPt?: number;
  readonly logger?: Logger;
  /** How datagrams are read (recorder.receive): `auto` (default) is `batched` where its addon was built. */
  readonly receive?: ReceiveSetting;
  /** Monotonic milliseconds; injectable for tests. */
  readonly now?: () => number;
}

export interface LegEndpoint {
  readonly leg: string;
  readonly host: string;
  readonly port: number;
}

export interface SessionEvents {
  /** agoMs: how long before the event its end packet reached the host (read at the next tick, or later under load). */
  dtmf: [leg: string, digit: string, agoMs: number];
  'recording-finished': [RecordingResult];
  closed: [];
}

export enum SessionState {
  New = 'new',
  Starting = 'starting',
  Running = 'running',
  Closing = 'closing',
  Closed = 'closed',
}

/** The jitter buffer's input, one per leg, rewritten for every packet (no allocation per packet). */
interface LegPacket {
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** The leg's decode buffer, `length` of it used: PACKET_SAMPLES, grown for a longer payload. */
  samples: Int16Array;
  length: number;
  arrival: number;
}

interface Leg {
  readonly name: string;
  socket: RtpSocket | null;
  readonly jitter: JitterBuffer;
  readonly aligner: LegAligner;
  readonly rtp: RtpHeader;
  readonly packet: LegPacket;
  /** What release() read from the aligner for the recordings; grown, never shrunk. */
  chunk: Int16Array;
  malformed: number;
  ignored: number;
  undecodable: number;
  lastEventTs: number | null;
  /** Payload type -> G.711 decode table (static 0/8 plus what the fork negotiated). */
  readonly codecs: Map<number, Readonly<Int16Array>>;
  telephoneEventPt: number;
}

let portCursor = 0;

/** spoolDir/call_recording_<call-id>_<n>.<ext> (the directory is created). */
export function defaultRecordingPath(spoolDir: string | undefined, callId: string, n: number, format: string): string {
  const dir = spoolDir ?? 'spool/recordings';
  mkdirSync(dir, { recursive: true, mode: 0o700 }); // owner-only, like every state directory
  return join(dir, `call_recording_${callId.replace(/[^A-Za-z0-9._-]/g, '_')}_${n}.${format}`);
}

/**
 * The recorder's I/O adapter for one call: a UDP socket per participant (rtpengine's subscribed
 * streams arrive here), the per-leg processors, and the recordings fed from them. One session
 * serves every recording of the call (account and endpoint recordings, each with its own
 * settings, window and file). close() finalizes every recording and closes the sockets.
 */
export class RecordingSession extends EventEmitter<SessionEvents> implements Tickable, RecorderSession {
  private stateValue = SessionState.New;
  private readonly legs: Leg[];
  private readonly recordings = new Set<Recording>();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly jitterSamples: number;
  /** Longest payload accepted (samples); longer is malformed. */
  private readonly maxPayload: number;
  /** release()'s per-leg chunks, the views handed to the recordings. */
  private readonly chunks: Int16Array[] = [];
  private clock0 = 0;
  private closing: Promise<RecordingResult[]> | null = null;
  private seq = 0;
  private sockets: RtpSockets | null = null;

  constructor(private readonly opts: SessionOptions) {
    super();
    this.now = opts.now ?? (() => performance.now());
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ callId: opts.callId, part: 'recorder' });
    this.jitterSamples = Math.round(((opts.jitterMs ?? 500) * RATE) / 1000);
    this.maxPayload = 4 * this.jitterSamples + 4 * FRAME;
    this.legs = (opts.legs ?? ['caller', 'callee']).map((name) => this.newLeg(name));
  }

  private newLeg(name: string): Leg {
    const aligner = new LegAligner(0);
    return {
      name,
      socket: null,
      // The ring holds the jitter delay plus one ticker period: a run releases up to its start
      // minus the delay, and the next run comes a period later.
      // The anchor follows a delay once it reaches 80% of the jitter delay, before packets turn late.
      jitter: new JitterBuffer({
        frameSamples: FRAME, windowSamples: this.jitterSamples + (TICK_MS * RATE) / 1000, maxDriftSamples: Math.max(RATE, 4 * this.jitterSamples),
        followSamples: Math.round(0.8 * this.jitterSamples),
      }, aligner),
      aligner,
      rtp: new RtpHeader(),
      packet: { sequenceNumber: 0, timestamp: 0, ssrc: 0, samples: new Int16Array(PACKET_SAMPLES), length: 0, arrival: 0 },
      chunk: new Int16Array(CHUNK_SAMPLES),
      malformed: 0,
      ignored: 0,
      undecodable: 0,
      lastEventTs: null,
      codecs: new Map([[PT_PCMU, ULAW_TABLE], [PT_PCMA, ALAW_TABLE]]),
      telephoneEventPt: this.opts.telephoneEventPt ?? 101,
    };
  }

  get state(): SessionState {
    return this.stateValue;
  }

  get legNames(): string[] {
    return this.legs.map((l) => l.name);
  }

  /** Opens the sockets; resolves with where rtpengine should send each participant's stream. */
  async start(): Promise<LegEndpoint[]> {
    if (this.stateValue !== SessionState.New) throw new RecordingStateError(`start() in state ${this.stateValue}`);
    this.stateValue = SessionState.Starting;
    const host = this.opts.host ?? '127.0.0.1';
    try {
      const sockets = (this.sockets = rtpSockets(this.opts.receive));
      for (const leg of this.legs) leg.socket = await this.bind(sockets, leg, host);
    } catch (err) {
      for (const leg of this.legs) {
        leg.socket?.close();
        leg.socket = null;
      }
      this.stateValue = SessionState.Closed;
      throw err;
    }
    this.clock0 = this.now();
    this.stateValue = SessionState.Running;
    sharedTicker.add(this);
    return this.legs.map((l) => ({ leg: l.name, host, port: (l.socket as RtpSocket).port }));
  }

  /**
   * The codec rtpengine sends on a leg, from the fork's negotiated plan (rtpengine passes the
   * payload type through, which may be dynamic), and its telephone-event payload type.
   */
  setLegCodec(leg: string, c: { readonly payloadType: number; readonly encoding: string; readonly telephoneEventPt?: number }): void {
    const l = this.legs.find((x) => x.name === leg);
    if (l === undefined) throw new RecorderConfigError(`unknown leg ${leg}`);
    const enc = c.encoding.toUpperCase();
    if (enc !== 'PCMU' && enc !== 'PCMA') throw new RecorderConfigError(`the recorder decodes PCMU and PCMA, not ${c.encoding}`);
    l.codecs.set(c.payloadType, enc === 'PCMU' ? ULAW_TABLE : ALAW_TABLE);
    if (c.telephoneEventPt !== undefined) l.telephoneEventPt = c.telephoneEventPt;
  }

  /** A recording of this call; nothing is written before its begin(). */
  record(settings: Omit<RecordingSettings, 'path'> & { path?: string }): Recording {
    if (this.stateValue === SessionState.Closing || this.stateValue === SessionState.Closed) {
      throw new RecordingStateError(`record() in state ${this.stateValue}`);
    }
    const n = ++this.seq;
    const path = settings.path ?? defaultRecordingPath(this.opts.spoolDir, this.opts.callId, n, settings.format);
    const rec = new Recording(
      {
        pool: this.opts.pool,
        nowPos: () => this.nowPos(),
        legStats: () => this.legStats(),
        onFinished: (r, result) => {
          this.recordings.delete(r);
          this.emit('recording-finished', result);
        },
      },
      { ...settings, path },
      this.legNames,
      this.log.child({ recording: n }),
    );
    this.recordings.add(rec);
    return rec;
  }

  /** Per-leg counters (for metrics and the result). */
  legStats(): Record<string, LegStats> {
    // A live read counts what reached the host, not only what the last tick read.
    if (this.stateValue === SessionState.Running) this.sockets?.flush();
    const out: Record<string, LegStats> = {};
    for (const l of this.legs) {
      const j = l.jitter.stats();
      out[l.name] = {
        received: j.received, lost: j.lost, late: j.late, duplicates: j.duplicates, malformed: l.malformed, ignored: l.ignored,
        undecodable: l.undecodable, segments: j.segments, paddedMs: j.padded / (RATE / 1000), trimmedMs: l.aligner.overlapDropped / (RATE / 1000),
      };
    }
    return out;
  }

  /** legStats() through the RecorderSession contract (a remote session answers asynchronously). */
  stats(): Promise<Record<string, LegStats>> {
    return Promise.resolve(this.legStats());
  }

  /** Position on the call's clock in 8 kHz samples. */
  nowPos(): number {
    return Math.round(((this.now() - this.clock0) * RATE) / 1000);
  }

  /**
   * @internal Driven by the shared ticker: release what the jitter delay allows, counted from
   * the run's start (startedAt), up to which the receiver has read every queued datagram.
   */
  tick(startedAt: number): void {
    if (this.stateValue !== SessionState.Running) return;
    const sinceRun = Math.max(0, Math.round(((performance.now() - startedAt) * RATE) / 1000));
    const horizon = this.nowPos() - sinceRun - this.jitterSamples;
    // A frame straddling the horizon may still arrive; everything before horizon - FRAME is final.
    for (const leg of this.legs) leg.jitter.pull(horizon, horizon - FRAME);
    this.release(horizon - FRAME);
  }

  /**
   * Hang-up / media gone: releases everything buffered, finalizes every recording (each ends at
   * its stop point or now) and closes the sockets. Idempotent.
   */
  close(reason: StopReason = 'hangup'): Promise<RecordingResult[]> {
    this.closing ??= this.doClose(reason);
    return this.closing;
  }

  private async doClose(reason: StopReason): Promise<RecordingResult[]> {
    const wasRunning = this.stateValue === SessionState.Running;
    // Closed while still running: the batched receiver delivers what the kernel holds first.
    for (const leg of this.legs) {
      leg.socket?.close();
      leg.socket = null;
    }
    this.stateValue = SessionState.Closing;
    sharedTicker.delete(this);
    if (wasRunning) {
      for (const leg of this.legs) leg.jitter.flush();
      this.release(this.nowPos());
    }
    const recs = [...this.recordings];
    for (const r of recs) void r.stop(reason);
    const settled = await Promise.allSettled(recs.map((r) => r.finalize()));
    this.stateValue = SessionState.Closed;
    this.emit('closed');
    const results: RecordingResult[] = [];
    for (const s of settled) {
      if (s.status === 'fulfilled') results.push(s.value);
      else this.log.error({ err: s.reason as Error }, 'recording failed at close');
    }
    return results;
  }

  /**
   * The jitter buffers have released their frames into the aligners: fills every leg to
   * `fillTo`, reads the aligned time into the legs' reused chunks and feeds the recordings.
   */
  private release(fillTo: number): void {
    let n = Number.POSITIVE_INFINITY;
    for (const leg of this.legs) {
      leg.aligner.fillTo(fillTo);
      n = Math.min(n, leg.aligner.available);
    }
    if (n <= 0) return;
    const pos = this.legs[0].aligner.position;
    for (let i = 0; i < this.legs.length; i++) {
      const leg = this.legs[i];
      // Sized to the read; one grown by a stall's catch-up read (seconds) is not kept for the call.
      if (leg.chunk.length < n || leg.chunk.length > 4 * Math.max(n, CHUNK_SAMPLES)) leg.chunk = new Int16Array(Math.max(n, CHUNK_SAMPLES));
      leg.aligner.readInto(leg.chunk, 0, n);
      this.chunks[i] = leg.chunk;
    }
    // feed() copies what it keeps; a recording finishing meanwhile leaves the set asynchronously.
    for (const r of this.recordings) r.feed(pos, this.chunks, n);
  }

  /**
   * The per-packet path: buf[start, end) parsed, decoded and buffered in the leg's reused
   * structures. ageMs: how long ago it reached the host (the batched receiver reads it late).
   */
  private onPacket(leg: Leg, buf: Uint8Array, start: number, end: number, ageMs: number): void {
    if (this.stateValue !== SessionState.Running) return;
    const h = leg.rtp;
    if (end < 0) {
      leg.malformed++; // longer than the receiver's slot: cut
      return;
    }
    try {
      parseRtpInto(buf, h, start, end);
    } catch {
      leg.malformed++;
      return;
    }
    const table = leg.codecs.get(h.payloadType);
    if (table === undefined) {
      leg.ignored++;
      if (h.payloadType === leg.telephoneEventPt) this.onTelephoneEvent(leg, h.timestamp, buf.subarray(h.payloadStart, h.payloadEnd), ageMs);
      else if (h.payloadType !== PT_CN) leg.undecodable++;
      return;
    }
    const len = h.payloadEnd - h.payloadStart;
    if (len === 0 || len > this.maxPayload) {
      leg.malformed++;
      return;
    }
    const p = leg.packet;
    // Sized for the usual packets (memory per recording, issue 14); a longer one grows it once.
    if (len > p.samples.length) p.samples = new Int16Array(len);
    decodeG711Into(buf, h.payloadStart, h.payloadEnd, table, p.samples);
    p.sequenceNumber = h.sequenceNumber;
    p.timestamp = h.timestamp;
    p.ssrc = h.ssrc;
    p.length = len;
    p.arrival = this.nowPos() - Math.round((ageMs * RATE) / 1000);
    leg.jitter.push(p);
  }

  private onTelephoneEvent(leg: Leg, ts: number, payload: Uint8Array, ageMs: number): void {
    const ev = parseTelephoneEvent(payload);
    // RFC 4733 2.5.1.4: the end packet is sent three times; one event = one RTP timestamp.
    if (ev === null || !ev.end || leg.lastEventTs === ts) return;
    leg.lastEventTs = ts;
    if (ev.digit !== null) this.emit('dtmf', leg.name, ev.digit, ageMs);
  }

  private async bind(sockets: RtpSockets, leg: Leg, host: string): Promise<RtpSocket> {
    const fixed = this.opts.ports?.[leg.name];
    const range = this.opts.portRange;
    if (fixed !== undefined || range === undefined || range.min === 0) return this.bindOne(sockets, leg, host, fixed ?? 0);
    const span = range.max - range.min + 1;
    for (let i = 0; i < span; i++) {
      const port = range.min + ((portCursor++ % span) + span) % span;
      try {
        return await this.bindOne(sockets, leg, host, port);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
    throw new RecordingStateError(`no free RTP port in ${range.min}-${range.max}`);
  }

  private bindOne(sockets: RtpSockets, leg: Leg, host: string, port: number): Promise<RtpSocket> {
    return sockets.bind(
      host,
      port,
      (buf, start, end, ageMs) => this.onPacket(leg, buf, start, end, ageMs),
      (err) => this.log.warn({ err, leg: leg.name }, 'RTP socket error'),
    );
  }
}

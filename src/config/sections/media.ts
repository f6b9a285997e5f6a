import { Type, type Static } from '@sinclair/typebox';

/**
 * Media anchoring through rtpengine (NG protocol).
 *
 * mode 'local': the service starts and supervises its own userspace rtpengine (`--table=-1`)
 * bound to `interface`, NG control on `ngHost:ngPort` (UDP), RTP ports portMin..portMax.
 * The production default range is 30000-39999 (10000 ports = 2500 calls with RTP+RTCP on both
 * legs plus a recording fork); tests pick their own range and NG port (all below 40000).
 * mode 'external': the listed instances are used; a call sticks to one chosen by a hash of its
 * Call-ID and fails over to the next one when a command times out.
 */
export const MediaSection = Type.Object({
  mode: Type.Union([Type.Literal('local'), Type.Literal('external')], { default: 'local' }),
  local: Type.Object({
    binary: Type.String({ minLength: 1, default: 'rtpengine' }),
    /** Address rtpengine binds RTP to and advertises in SDP (`--interface`). */
    interface: Type.String({ minLength: 1, default: '127.0.0.1' }),
    /** Address of the NG control socket (`--listen-ng`). */
    ngHost: Type.String({ minLength: 1, default: '127.0.0.1' }),
    ngPort: Type.Integer({ minimum: 1, maximum: 65535, default: 22222 }),
    portMin: Type.Integer({ minimum: 1024, maximum: 65535, default: 30000 }),
    portMax: Type.Integer({ minimum: 1024, maximum: 65535, default: 39999 }),
    /** rtpengine's own log level (syslog numbers, 0-7); its stderr goes to our logger. */
    logLevel: Type.Integer({ minimum: 0, maximum: 7, default: 5 }),
    /** How long to wait for the first `pong` after a start (ms). */
    startTimeoutMs: Type.Integer({ minimum: 100, default: 10000 }),
    /** Restart backoff: first delay, doubled per consecutive failure up to the max (ms). */
    restartBackoffMs: Type.Integer({ minimum: 10, default: 200 }),
    restartBackoffMaxMs: Type.Integer({ minimum: 10, default: 10000 }),
    /** Bound between SIGTERM and SIGKILL on close (ms). */
    killTimeoutMs: Type.Integer({ minimum: 10, default: 3000 }),
    /**
     * Liveness ping while running (ms; 0 = off). Three missed pings in a row while rtpengine
     * also used no CPU mean it hangs, and it is killed (SIGKILL) so that the supervisor restarts
     * it; a busy rtpengine that answers late (overload) is killed only after fifteen.
     */
    watchdogMs: Type.Integer({ minimum: 0, default: 2000 }),
    /**
     * rtpengine's pid, written at each (re)start; at start, an rtpengine of an earlier run named
     * here (checked by its command line: our binary and NG address) is stopped. '' = the
     * service puts `rtpengine.pid` beside the store file (var/); none with a ':memory:' store.
     */
    pidFile: Type.String({ default: '' }),
    /** Extra command-line arguments appended verbatim. */
    extraArgs: Type.Array(Type.String(), { default: [] }),
  }, { default: {} }),
  external: Type.Array(
    Type.Object({
      host: Type.String({ minLength: 1 }),
      port: Type.Integer({ minimum: 1, maximum: 65535 }),
    }),
    { default: [] },
  ),
  /**
   * External instances are pinged this often (ms; 0 = never); three missed pings in a row
   * report the instance lost, so its calls are torn down.
   */
  healthCheckMs: Type.Integer({ minimum: 0, default: 5000 }),
  /** Every NG command fails with RtpengineTimeout after this long (ms). */
  commandTimeoutMs: Type.Integer({ minimum: 50, default: 2000 }),
}, { default: {} });

export type MediaConfig = Static<typeof MediaSection>;

/**
 * A call between two real phones (baresip) through the product, and the checks on its
 * recording: which tone fills how much of each channel.
 */
import type { Call } from '../../../src/calls';
import type { Baresip } from '../../helpers/baresip';
import type { TestService } from '../../helpers/service';
import { goertzel } from '../../unit/recorder/dsp';
import { bridged, ended, nextCall } from '../calls/setup';
import { CALLEE_TONE, CALLER_TONE, REALM, type decodeBody } from './setup';

export interface RealCall {
  call: Call;
  tAnswered: number;
  tEnded: number;
}

/**
 * `caller` dials 2000 (callflow to device 2001, the callee phone), which answers when it rings;
 * `during` runs once bridged; then the caller hangs up and both phones see the call closed.
 */
export async function phoneCall(svc: TestService, caller: Baresip, callee: Baresip, during: (call: Call) => Promise<void>, dial = `sip:2000@${REALM}`): Promise<RealCall> {
  const marks = [caller.seen().length, callee.seen().length];
  const callP = nextCall(svc);
  caller.dial(dial);
  // The callee answers as a person would: when it rings (baresip's ctrl `accept`).
  void callee.waitFor((e) => e.type === 'CALL_INCOMING', 15_000, 'callee rings', marks[1]).then(() => callee.command('accept'), () => undefined);
  const call = await callP;
  await bridged(call).catch((err: Error) => { throw new Error(`${err.message}; callee said ${callee.output().slice(-1500)}; caller events ${JSON.stringify(caller.seen().slice(marks[0]))}`); });
  const tAnswered = performance.now();
  await during(call);
  caller.hangup();
  await ended(call);
  const tEnded = performance.now();
  await Promise.all([
    caller.waitFor((e) => e.type === 'CALL_CLOSED', 10_000, 'caller closed', marks[0]),
    callee.waitFor((e) => e.type === 'CALL_CLOSED', 10_000, 'callee closed', marks[1]),
  ]);
  return { call, tAnswered, tEnded };
}

/** Share of 100 ms blocks in [from, to) s of channel c where `freq` dominates `other`. */
export function coverage(ch: Int16Array, rate: number, freq: number, other: number, from: number, to: number): number {
  const block = rate / 10;
  let hit = 0;
  let n = 0;
  for (let a = Math.floor(from * rate); a + block <= Math.min(ch.length, to * rate); a += block) {
    const seg = ch.subarray(a, a + block);
    n++;
    if (goertzel(seg, rate, freq) > 10 * goertzel(seg, rate, other) && goertzel(seg, rate, freq) > 1000) hit++;
  }
  return n === 0 ? 0 : hit / n;
}

/** The caller's 1 kHz on the left and the callee's 400 Hz on the right for 90% of the call. */
export function bothTones(t: { ok(v: unknown, msg: string): boolean }, d: ReturnType<typeof decodeBody>): void {
  const left = coverage(d.ch[0], d.sampleRate, CALLER_TONE, CALLEE_TONE, 0.5, d.durationSec - 0.5);
  const right = coverage(d.ch[1], d.sampleRate, CALLEE_TONE, CALLER_TONE, 0.5, d.durationSec - 0.5);
  t.ok(left >= 0.9, `left = caller's 1 kHz in ${(left * 100).toFixed(0)}% of the call`);
  t.ok(right >= 0.9, `right = callee's 400 Hz in ${(right * 100).toFixed(0)}% of the call`);
}

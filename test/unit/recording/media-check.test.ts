import t from 'tap';
import { mediaVerdict, type LegMedia, type MediaStatus } from '../../../src/recording/media-check';

const leg = (forwarded: number, received: number, o: Partial<LegMedia> = {}): LegMedia => ({ forwarded, received, undecodable: 0, transcoded: false, ...o });

t.test('media verdict (table)', async (t) => {
  const rows: Array<{ name: string; legs: Record<string, LegMedia>; forkError?: string; mediaFailed?: boolean; status: MediaStatus; reason?: RegExp }> = [
    { name: 'both legs whole', legs: { caller: leg(500, 500), callee: leg(500, 498) }, status: 'complete' },
    { name: 'one-way audio: the callee sent nothing, nothing expected', legs: { caller: leg(500, 500), callee: leg(0, 0) }, status: 'complete' },
    { name: 'no media in the call at all (nothing lost by us)', legs: { caller: leg(0, 0), callee: leg(0, 0) }, status: 'complete' },
    { name: 'a start/stop race of 50 packets is tolerated', legs: { caller: leg(100, 50), callee: leg(100, 100) }, status: 'complete' },
    { name: '5% of a long call is tolerated', legs: { caller: leg(10000, 9550), callee: leg(10000, 10000) }, status: 'complete' },
    { name: 'the fork delivered nothing (the refused subscribe answer)', legs: { caller: leg(600, 0), callee: leg(600, 0) }, status: 'failed', reason: /no media reached the recorder/ },
    { name: 'a few packets before the fork broke are still nothing', legs: { caller: leg(600, 10), callee: leg(600, 0) }, status: 'failed', reason: /10 of the 1200 packets/ },
    { name: 'the fork never started', legs: { caller: leg(0, 0), callee: leg(0, 0) }, forkError: "rtpengine refused 'subscribeAnswer'", status: 'failed', reason: /fork failed: rtpengine refused/ },
    { name: 'one leg lost', legs: { caller: leg(600, 600), callee: leg(600, 0) }, status: 'partial', reason: /callee: recorder got 0 of 600/ },
    { name: 'half of a leg lost', legs: { caller: leg(1000, 500), callee: leg(1000, 1000) }, status: 'partial', reason: /caller: recorder got 500 of 1000/ },
    { name: 'transcoded leg re-packetized: fewer packets is fine', legs: { caller: leg(1000, 500, { transcoded: true }), callee: leg(1000, 1000) }, status: 'complete' },
    { name: 'transcoded leg with nothing at all', legs: { caller: leg(1000, 0, { transcoded: true }), callee: leg(1000, 1000) }, status: 'partial', reason: /caller: recorder got 0 of 1000/ },
    { name: 'audio in a codec the recorder cannot decode', legs: { caller: leg(500, 500, { undecodable: 300 }), callee: leg(500, 500) }, status: 'partial', reason: /caller: 300 packets in a codec the recorder cannot decode/ },
    { name: 'rtpengine died mid-call after media flowed', legs: { caller: leg(300, 300), callee: leg(300, 300) }, mediaFailed: true, status: 'partial', reason: /media anchor failed/ },
    { name: 'SRTP with a wrong key on one leg: undecryptable, partial', legs: { caller: leg(0, 0, { undecryptable: 400 }), callee: leg(400, 400) }, status: 'partial', reason: /^srtp_auth: caller: 400 SRTP packets failed authentication/ },
    { name: 'SRTP with wrong keys on both legs: nothing recordable, failed', legs: { caller: leg(0, 0, { undecryptable: 400 }), callee: leg(0, 0, { undecryptable: 400 }) }, status: 'failed', reason: /^srtp_auth: every party/ },
    { name: 'a few failed SRTP packets (a re-key race) are tolerated', legs: { caller: leg(500, 500, { undecryptable: 3 }), callee: leg(500, 500) }, status: 'complete' },
    { name: 'fork failed later but some media arrived first', legs: { caller: leg(300, 300), callee: leg(300, 300) }, forkError: 'timeout', status: 'partial', reason: /fork failed: timeout/ },
  ];
  for (const r of rows) {
    const v = mediaVerdict({ legs: r.legs, ...(r.forkError ? { forkError: r.forkError } : {}), ...(r.mediaFailed ? { mediaFailed: true } : {}) });
    t.equal(v.status, r.status, `${r.name}: status`);
    if (r.reason) t.match(v.reason ?? '', r.reason, `${r.name}: reason`);
    else t.equal(v.reason, null, `${r.name}: no reason`);
  }
});

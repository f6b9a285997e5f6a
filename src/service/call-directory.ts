import type { Logger } from 'pino';
import type { B2bua, Call } from '../calls';
import type { CallDirectory } from '../state';

/**
 * Keeps the live-call directory true from the B2BUA's events alone (call control is not
 * touched): a call is added when the B2BUA announces it (the caller's Call-ID) and when it is
 * answered (the callee leg's), and removed when it ends. The
 * directory is advisory (which node owns a call), so a failure to write it is logged and the
 * call goes on.
 */
export function trackCalls(b2bua: B2bua, directory: CallDirectory, log: Logger): void {
  b2bua.on('call', (call: Call) => {
    const add = (id: string): void => {
      directory.add(id).catch((err: unknown) => log.warn({ err, callId: call.callId, leg: id }, 'call directory: add failed'));
    };
    // Both legs' Call-IDs name the call (the channels API finds it by either, as Kazoo lists
    // both legs as channels); the callee's is known once its dialog exists, at the answer.
    const ids = [call.callId];
    add(call.callId);
    call.on('answered', () => {
      const leg = call.uac?.sip.callId;
      if (leg === undefined || ids.includes(leg)) return;
      ids.push(leg);
      add(leg);
    });
    call.once('ended', () => {
      for (const id of ids) directory.remove(id).catch((err: unknown) => log.warn({ err, callId: call.callId, leg: id }, 'call directory: remove failed'));
    });
  });
}

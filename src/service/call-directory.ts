import type { Logger } from 'pino';
import type { B2bua, Call } from '../calls';
import type { CallDirectory } from '../state';

/**
 * Keeps the live-call directory true from the B2BUA's events alone (call control is not
 * touched): a call is added when the B2BUA announces it and removed when it ends. The
 * directory is advisory (which node owns a call), so a failure to write it is logged and the
 * call goes on.
 */
export function trackCalls(b2bua: B2bua, directory: CallDirectory, log: Logger): void {
  b2bua.on('call', (call: Call) => {
    directory.add(call.callId).catch((err: unknown) => log.warn({ err, callId: call.callId }, 'call directory: add failed'));
    call.once('ended', () => {
      directory.remove(call.callId).catch((err: unknown) => log.warn({ err, callId: call.callId }, 'call directory: remove failed'));
    });
  });
}

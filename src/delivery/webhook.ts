import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import type { DeliveryRecord } from './types';
import { redactUrl } from './url';

export type WebhookEvent = 'recording.uploaded' | 'recording.failed';

/**
 * Best-effort notification: one JSON POST per event, bounded by a timeout, never retried.
 * The recording record (and the API) stays the source of truth, so a lost notification loses
 * nothing. The URL is operator configuration, not tenant input, so the network policy does not apply.
 */
export function notifyWebhook(url: string, timeoutMs: number, event: WebhookEvent, rec: DeliveryRecord, log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      log.warn({ url: redactUrl(url) }, 'webhook URL invalid');
      resolve();
      return;
    }
    const body = Buffer.from(JSON.stringify({ event, recording: rec }));
    const req = (target.protocol === 'https:' ? https : http).request(target, {
      method: 'POST',
      agent: false,
      timeout: timeoutMs,
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    });
    const timer = setTimeout(() => req.destroy(new Error(`webhook timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`webhook idle for ${timeoutMs} ms`)));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        if ((res.statusCode ?? 0) >= 300) log.warn({ status: res.statusCode, event }, 'webhook answered non-2xx');
        resolve();
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      log.warn({ err: err.message, event }, 'webhook failed');
      resolve();
    });
    req.end(body);
  });
}

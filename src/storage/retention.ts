import { Type, type Static } from '@sinclair/typebox';

/**
 * Per-account retention (issue 15 item 4): days after which call records, recording records
 * (with their files) and kept files are deleted. Each field is inherited down the account tree:
 * an account's own value, else its nearest ancestor's; absent everywhere: kept forever.
 */
const Days = Type.Integer({ minimum: 1, maximum: 36_500 });
export const RetentionSchema = Type.Object({
  /** Call records (the `calls` collection), from the call's end. */
  cdr_days: Type.Optional(Days),
  /** Recording records and their files, from the recording's end. */
  recordings_days: Type.Optional(Days),
  /** Files kept in the spool (failed uploads, delivery.keepUploaded), from the recording's end; the record stays. */
  files_days: Type.Optional(Days),
}, { additionalProperties: false });

export type Retention = Static<typeof RetentionSchema>;
export const RETENTION_KEYS = ['cdr_days', 'recordings_days', 'files_days'] as const;

const DAY_MS = 86_400_000;

/** Pure: the effective retention of an account from its chain of documents' `retention`, root first, the account last. */
export function effectiveRetention(chain: ReadonlyArray<Retention | undefined>): Retention {
  const out: Retention = {};
  for (const k of RETENTION_KEYS) {
    for (let i = chain.length - 1; i >= 0; i--) {
      const v = chain[i]?.[k];
      if (v !== undefined) {
        out[k] = v;
        break;
      }
    }
  }
  return out;
}

/** Pure: whether something that ended at `endedAtMs` is past `days` of retention at `nowMs`. */
export function expired(endedAtMs: number, days: number | undefined, nowMs: number): boolean {
  return days !== undefined && Number.isFinite(endedAtMs) && endedAtMs + days * DAY_MS <= nowMs;
}

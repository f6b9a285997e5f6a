/**
 * Errors of encryption at rest. ATREST_AUTH_FAILED, ATREST_TRUNCATED and ATREST_BAD_HEADER mean
 * the file is not what we wrote (tampered, cut or corrupted): it is quarantined, never sent.
 * ATREST_KEY_UNKNOWN means the key it names is not configured: the file is kept as is.
 */
export type AtRestErrorCode =
  | 'ATREST_AUTH_FAILED'
  | 'ATREST_TRUNCATED'
  | 'ATREST_BAD_HEADER'
  | 'ATREST_NOT_ENCRYPTED'
  | 'ATREST_UNSUPPORTED'
  | 'ATREST_KEY_UNKNOWN'
  | 'ATREST_BAD_KEY'
  | 'ATREST_BAD_KEY_ID'
  | 'ATREST_TOO_LARGE'
  | 'ATREST_MISUSE';

export class AtRestError extends Error {
  constructor(readonly code: AtRestErrorCode, message: string) {
    // Never a key or plaintext in the message: only indexes, ids and sizes.
    super(message);
    this.name = 'AtRestError';
  }

  /** The file itself is bad (as opposed to our configuration): quarantine it. */
  get integrity(): boolean {
    return this.code === 'ATREST_AUTH_FAILED' || this.code === 'ATREST_TRUNCATED' || this.code === 'ATREST_BAD_HEADER'
      || this.code === 'ATREST_NOT_ENCRYPTED' || this.code === 'ATREST_UNSUPPORTED';
  }
}

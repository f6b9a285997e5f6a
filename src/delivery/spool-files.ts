import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { AtRestError } from '../atrest/errors';
import { encryptFile, inspectFile, openPlain, verifyFile } from '../atrest/file-input';
import type { KeyRing } from '../atrest/keyring';
import { DeliveryError, FileMissingError } from './errors';
import { fsyncDir, fsyncFile, moveDurably } from './journal';

/** A spool file checked and ready to stream: its plaintext size and how to read it. */
export interface PlainFile {
  readonly size: number;
  readonly keyId: string | null;
  open(): Readable;
}

/** A file that failed authentication (moved to quarantine/) or names a key we do not have. */
export class SpoolFileError extends DeliveryError {
  constructor(readonly atRest: AtRestError, readonly quarantinedTo: string | null) {
    super(atRest.integrity ? 'file_tampered' : 'key_unknown',
      quarantinedTo ? `${atRest.message}; moved to ${quarantinedTo}` : atRest.message, false);
  }
}

const NO_KEYS = new Map<string, Buffer>();

/**
 * Encryption at rest on the delivery side: files come into the spool encrypted (a plain file is
 * encrypted on the way in when a key is active), are authenticated whole before an upload starts,
 * and are decrypted only as the upload streams. A file that fails is moved to
 * `<spool>/quarantine/` and never sent.
 */
export class SpoolFiles {
  readonly quarantineDir: string;

  constructor(root: string, private readonly keys?: KeyRing) {
    this.quarantineDir = join(root, 'quarantine');
  }

  /** The key id a file moved in now will carry (null: plain). */
  async keyIdFor(src: string): Promise<string | null> {
    const info = await inspectFile(src).catch(() => null);
    return info?.keyId ?? this.keys?.activeKeyId ?? null;
  }

  /** Moves a finished file into the spool durably, encrypting it on the way when it is plain and a key is active. */
  async moveIn(src: string, dst: string, toDir: string): Promise<void> {
    const active = this.keys?.active();
    // A file that starts like ours but does not parse is moved as is: the check before its upload quarantines it.
    const info = await inspectFile(src).catch((err: unknown) => {
      if (err instanceof AtRestError) return { keyId: 'unreadable', size: 0 };
      throw err;
    });
    if (!active || info.keyId !== null) {
      await moveDurably(src, dst, dirname(src), toDir);
      return;
    }
    const tmp = `${dst}.tmp`;
    await encryptFile(src, tmp, active);
    await fsp.rename(tmp, dst);
    await fsyncDir(toDir);
    await fsp.unlink(src);
    await fsyncDir(dirname(src)).catch(() => undefined);
  }

  /**
   * Checks a spool file against what its record says (`keyId`: the key it was sealed with, null:
   * plain) and authenticates it whole. Throws SpoolFileError (quarantined when tampered) or FileMissingError.
   */
  async check(path: string, keyId: string | null | undefined): Promise<PlainFile> {
    const lookup = this.keys?.lookup ?? ((id: string) => NO_KEYS.get(id));
    try {
      const info = await inspectFile(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new FileMissingError(path);
        throw err;
      });
      // A record that says "encrypted" over a plain file (or another key): replaced behind our back.
      if (keyId && info.keyId !== keyId) throw new AtRestError('ATREST_NOT_ENCRYPTED', `file is not sealed with key ${keyId}`);
      if (info.keyId !== null) await verifyFile(path, lookup);
      return { size: info.size, keyId: info.keyId, open: () => openPlain(path, info.keyId !== null, lookup) };
    } catch (err) {
      if (!(err instanceof AtRestError)) throw err;
      throw new SpoolFileError(err, err.integrity ? await this.quarantine(path) : null);
    }
  }

  /** The error an upload stream failed with, as a delivery error (quarantining a file found tampered mid-stream). */
  async streamError(path: string, err: unknown): Promise<DeliveryError | null> {
    if (!(err instanceof AtRestError)) return null;
    return new SpoolFileError(err, err.integrity ? await this.quarantine(path) : null);
  }

  private async quarantine(path: string): Promise<string> {
    await fsp.mkdir(this.quarantineDir, { recursive: true, mode: 0o700 });
    const to = join(this.quarantineDir, basename(path));
    await fsp.rename(path, to);
    await fsyncFile(to).catch(() => undefined);
    await fsyncDir(this.quarantineDir);
    return to;
  }
}

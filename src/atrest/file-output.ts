import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { NONCE_PREFIX_BYTES, SALT_BYTES } from './framing';
import type { SpoolKey } from './keyring';
import { Sealer } from './stream';

/**
 * A spool file being written, plain or encrypted as it is written (the boundary between an
 * encoder and the disk). Synchronous: it runs in encoder worker threads.
 */
export interface FileOutput {
  write(bytes: Uint8Array): void;
  /** Replaces the head region given at open (same length), e.g. a WAV header with the final sizes. */
  finishHead(head: Buffer): void;
  /** Closes the file; returns the plaintext bytes written (head included). Idempotent. */
  close(): number;
}

/**
 * Opens (truncating) an owner-only file, whatever the umask (a recording is a conversation):
 * fchmod narrows a file that already existed with wider bits.
 */
export function openPrivate(path: string): number {
  const fd = openSync(path, 'w', 0o600);
  fchmodSync(fd, 0o600);
  return fd;
}

/** `head`: a region at the start of the file to be rewritten by finishHead (its placeholder content). */
export function openOutput(path: string, key: SpoolKey | undefined, head?: Buffer): FileOutput {
  const fd = openPrivate(path);
  return key ? new EncryptedOutput(fd, key, head) : new PlainOutput(fd, head);
}

class PlainOutput implements FileOutput {
  private bytes = 0;
  private closed = false;

  constructor(private readonly fd: number, head?: Buffer) {
    if (head) this.write(head);
  }

  write(b: Uint8Array): void {
    writeSync(this.fd, b);
    this.bytes += b.length;
  }

  finishHead(head: Buffer): void {
    writeSync(this.fd, head, 0, head.length, 0);
  }

  close(): number {
    if (!this.closed) {
      this.closed = true;
      closeSync(this.fd);
    }
    return this.bytes;
  }
}

class EncryptedOutput implements FileOutput {
  private readonly sealer: Sealer;
  private bytes = 0;
  private closed = false;
  private headPos = -1;

  constructor(private readonly fd: number, key: SpoolKey, head?: Buffer) {
    this.sealer = new Sealer({ keyId: key.id, key: Buffer.from(key.key), salt: randomBytes(SALT_BYTES), noncePrefix: randomBytes(NONCE_PREFIX_BYTES), headLen: head?.length ?? 0 });
    writeSync(fd, this.sealer.headerBytes);
    if (head) {
      // The head's space is reserved (zeros) and sealed once at close: a file cut before then
      // fails authentication, which is right for an unfinished recording.
      this.headPos = this.sealer.headerBytes.length;
      writeSync(fd, Buffer.alloc(this.sealer.dataOffset - this.headPos));
      this.bytes += head.length;
    }
  }

  write(b: Uint8Array): void {
    const sealed = this.sealer.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    if (sealed.length) writeSync(this.fd, sealed);
    this.bytes += b.length;
  }

  finishHead(head: Buffer): void {
    writeSync(this.fd, this.sealer.sealHead(head), 0, head.length + 16, this.headPos);
  }

  close(): number {
    if (!this.closed) {
      this.closed = true;
      writeSync(this.fd, this.sealer.finish());
      closeSync(this.fd);
    }
    return this.bytes;
  }
}

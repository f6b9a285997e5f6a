import { promises as fsp, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import type { KeyRing } from '../atrest/keyring';
import { looksEncrypted, parseHeader } from '../atrest/framing';
import { openBuffer, sealBuffer } from '../atrest/stream';
import type { DeliveryRecord } from './types';

/**
 * The on-disk half of the queue: one JSON document per recording under <spool>/meta and the
 * recordings themselves under <spool>/files. A document is replaced atomically (write a temp
 * file, fsync it, rename over the old one, fsync the directory) so that after SIGKILL or power
 * loss each document is either the old or the new version, never a torn one.
 * With an encryption key the documents are sealed like the recordings (../atrest): they name the
 * parties, the times and the upload URL. A plain document (written before a key was configured)
 * is still read, and sealed at its next write.
 */
export class Journal {
  readonly metaDir: string;
  readonly filesDir: string;
  /** Per-record write chains: two writes of one record must land in call order. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(readonly root: string, private readonly keys?: KeyRing) {
    this.metaDir = join(root, 'meta');
    this.filesDir = join(root, 'files');
  }

  async open(): Promise<void> {
    // Owner-only: the records hold upload URLs (credentials included), the files conversations.
    await fsp.mkdir(this.metaDir, { recursive: true, mode: 0o700 });
    await fsp.mkdir(this.filesDir, { recursive: true, mode: 0o700 });
    await fsyncDir(this.root);
  }

  filePath(name: string): string {
    return join(this.filesDir, name);
  }

  /** Durably stores the record (resolves only once it is on disk). */
  write(rec: DeliveryRecord): Promise<void> {
    const json = Buffer.from(JSON.stringify(rec, null, 1));
    const key = this.keys?.active();
    const data = key ? sealBuffer(key, json) : json;
    const prev = this.chains.get(rec.id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.writeNow(rec.id, data));
    this.chains.set(rec.id, next);
    void next.finally(() => {
      if (this.chains.get(rec.id) === next) this.chains.delete(rec.id);
    }).catch(() => undefined);
    return next;
  }

  private async writeNow(id: string, data: Buffer): Promise<void> {
    const final = join(this.metaDir, `${id}.json`);
    const tmp = `${final}.${process.pid}.tmp`;
    const fh = await fsp.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, final);
    await fsyncDir(this.metaDir);
  }

  /** Removes a record for good (retention, GDPR delete), after any pending write of it. */
  async remove(id: string): Promise<void> {
    await (this.chains.get(id) ?? Promise.resolve()).catch(() => undefined);
    await fsp.rm(join(this.metaDir, `${id}.json`), { force: true });
    await fsyncDir(this.metaDir);
  }

  /** Every stored record; leftover temp files from an interrupted write are removed. */
  async loadAll(onCorrupt: (file: string, err: Error) => void): Promise<DeliveryRecord[]> {
    const out: DeliveryRecord[] = [];
    for (const name of await fsp.readdir(this.metaDir)) {
      const full = join(this.metaDir, name);
      if (name.endsWith('.tmp')) {
        await fsp.rm(full, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const raw = await fsp.readFile(full);
        const sealed = looksEncrypted(raw);
        const json = sealed ? openBuffer(this.keys?.lookup ?? (() => undefined), raw) : raw;
        const rec = JSON.parse(json.toString('utf8')) as DeliveryRecord;
        // Rotation: a record sealed with an older key (or none) is sealed again with the active
        // one, so that the older key can be retired once its recording files are gone.
        const active = this.keys?.active();
        if (active && (!sealed || parseHeader(raw)?.header.keyId !== active.id)) await this.write(rec);
        out.push(rec);
      } catch (err) {
        // Atomic replacement makes this unexpected (or its key is no longer configured, or it was
        // tampered with): keep the file for a human, skip the record.
        onCorrupt(full, err as Error);
      }
    }
    return out;
  }

  /** Names in files/ (to find recordings without a record). */
  async listFiles(): Promise<string[]> {
    return (await fsp.readdir(this.filesDir)).filter((n) => !n.endsWith('.tmp'));
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, fsc.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function fsyncFile(path: string): Promise<void> {
  const fh = await fsp.open(path, fsc.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Moves a file into the spool durably and owner-only (0600): rename when on the same
 * filesystem, else copy + fsync + unlink (EXDEV). The data and both directory entries are fsynced before returning.
 */
export async function moveDurably(from: string, to: string, fromDir: string, toDir: string): Promise<void> {
  try {
    await fsp.rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    const tmp = `${to}.tmp`;
    await fsp.copyFile(from, tmp);
    await fsyncFile(tmp);
    await fsp.rename(tmp, to);
    await fsyncDir(toDir);
    await fsp.unlink(from);
  }
  // The spool is owner-only whoever produced the file (a recording is a conversation).
  await fsp.chmod(to, 0o600);
  await fsyncFile(to);
  await fsyncDir(toDir);
  if (fromDir !== toDir) await fsyncDir(fromDir).catch(() => undefined);
}

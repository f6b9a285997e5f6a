import { readFileSync } from 'node:fs';
import { AtRestError } from './errors';
import { KEY_BYTES, validKeyId } from './framing';
import type { KeyLookup } from './stream';

/** One configured key: read from a file (32 raw bytes or base64 text) or a base64 environment variable. */
export interface KeySource {
  readonly id: string;
  readonly file?: string;
  readonly env?: string;
}

/** The key new files are sealed with; structured-clonable, so it crosses to encoder workers. */
export interface SpoolKey {
  readonly id: string;
  readonly key: Uint8Array;
}

function decodeKey(raw: Buffer, where: string): Buffer {
  if (raw.length === KEY_BYTES) return raw;
  const text = raw.toString('utf8').trim();
  const b = Buffer.from(text, 'base64');
  // Buffer.from ignores junk: require the text to be exactly the base64 of 32 bytes.
  if (b.length !== KEY_BYTES || b.toString('base64') !== text) throw new AtRestError('ATREST_BAD_KEY', `${where} does not hold a 32-byte key (raw or base64)`);
  return b;
}

/**
 * The configured keys: the active one seals new files, every one opens files naming it, so a
 * rotated-out key stays configured until its files are gone. Messages name ids and sources, never key bytes.
 */
export class KeyRing {
  private readonly keys = new Map<string, Buffer>();

  constructor(sources: readonly KeySource[], readonly activeKeyId: string | undefined, env: NodeJS.ProcessEnv = process.env) {
    for (const s of sources) {
      if (!validKeyId(s.id)) throw new AtRestError('ATREST_BAD_KEY_ID', `key id ${JSON.stringify(s.id)}: 1-64 of [A-Za-z0-9._-]`);
      if (this.keys.has(s.id)) throw new AtRestError('ATREST_BAD_KEY_ID', `key id ${s.id} twice`);
      if ((s.file === undefined) === (s.env === undefined)) throw new AtRestError('ATREST_BAD_KEY', `key ${s.id}: give exactly one of file, env`);
      let raw: Buffer;
      if (s.file !== undefined) {
        try {
          raw = readFileSync(s.file);
        } catch (err) {
          throw new AtRestError('ATREST_BAD_KEY', `key ${s.id}: cannot read ${s.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      } else {
        const v = env[s.env as string];
        if (v === undefined) throw new AtRestError('ATREST_BAD_KEY', `key ${s.id}: environment variable ${s.env} is not set`);
        raw = Buffer.from(v, 'utf8');
      }
      this.keys.set(s.id, decodeKey(raw, s.file !== undefined ? `key ${s.id} file ${s.file}` : `key ${s.id} variable ${s.env}`));
    }
    if (activeKeyId !== undefined && !this.keys.has(activeKeyId)) throw new AtRestError('ATREST_KEY_UNKNOWN', `activeKeyId ${activeKeyId} is not among the keys`);
  }

  /** The key new spool files are sealed with; undefined: encryption at rest is off. */
  active(): SpoolKey | undefined {
    if (this.activeKeyId === undefined) return undefined;
    return { id: this.activeKeyId, key: new Uint8Array(this.keys.get(this.activeKeyId) as Buffer) };
  }

  /** Whether anything is configured (files may be encrypted even with no active key). */
  get size(): number {
    return this.keys.size;
  }

  readonly lookup: KeyLookup = (id) => this.keys.get(id);
}

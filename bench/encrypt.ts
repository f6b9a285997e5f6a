/**
 * npm run bench:encrypt — what encryption at rest costs per recording, against plaintext in the
 * same run: writing the spool file through the recorder's output boundary (atrest/file-output)
 * in 100 ms pieces as the encoders do, then reading it back as an upload does (authenticate
 * whole, then stream decrypted). Prints CPU ms per minute of audio and MB/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openOutput } from '../src/atrest/file-output';
import { openPlain, verifyFile } from '../src/atrest/file-input';
import type { SpoolKey } from '../src/atrest/keyring';

const MINUTES = Number(process.env.ENC_MINUTES ?? 10);
const ROUNDS = Number(process.env.ENC_ROUNDS ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'bench-enc-'));
const key: SpoolKey = { id: 'bench', key: randomBytes(32) };
const lookup = (): Buffer => Buffer.from(key.key);

/** Bytes per second of audio for the recorder's two common outputs. */
const FORMATS = [
  { name: 'mp3 16 kHz stereo 48 kbps', bytesPerSec: 6000 },
  { name: 'wav 16 kHz stereo', bytesPerSec: 64000 },
];

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function once(bytesPerSec: number, encrypted: boolean): Promise<{ writeMs: number; readMs: number; bytes: number }> {
  const piece = randomBytes(bytesPerSec / 10);
  const path = join(dir, `f-${encrypted}`);
  const pieces = MINUTES * 600;
  const t0 = cpuMs();
  const out = openOutput(path, encrypted ? key : undefined, encrypted ? Buffer.alloc(44) : undefined);
  for (let i = 0; i < pieces; i++) out.write(piece);
  if (encrypted) out.finishHead(Buffer.alloc(44, 1));
  const bytes = out.close();
  const t1 = cpuMs();
  if (encrypted) await verifyFile(path, lookup);
  for await (const _ of openPlain(path, encrypted, lookup)) { /* as an upload reads it */ }
  const t2 = cpuMs();
  rmSync(path);
  return { writeMs: t1 - t0, readMs: t2 - t1, bytes };
}

async function main(): Promise<void> {
  console.log(`encryption at rest: AES-256-GCM, 64 KiB chunks; ${MINUTES} min of audio per file, best of ${ROUNDS} rounds, CPU time of this process`);
  for (const f of FORMATS) {
    for (const encrypted of [false, true]) {
      let best = { writeMs: Infinity, readMs: Infinity, bytes: 0 };
      for (let r = 0; r < ROUNDS; r++) {
        const x = await once(f.bytesPerSec, encrypted);
        if (x.writeMs + x.readMs < best.writeMs + best.readMs) best = x;
      }
      const mb = best.bytes / 1e6;
      console.log(`${f.name.padEnd(26)} ${encrypted ? 'encrypted' : 'plain    '}: write ${(best.writeMs / MINUTES).toFixed(2)} ms CPU/min of audio (${(mb / (best.writeMs / 1000)).toFixed(0)} MB/s), `
        + `read for upload ${(best.readMs / MINUTES).toFixed(2)} ms CPU/min (${(mb / (best.readMs / 1000)).toFixed(0)} MB/s)`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

void main();

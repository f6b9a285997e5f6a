/**
 * bench:recordings' customer web server, in a process of its own. The service's CPU and memory
 * are measured on the bench's process, and receiving 500 files of about a megabyte in a step is
 * the customer's work, not the service's: in the same process it was about 5% of the main
 * thread's busy time in a CPU profile at 250 calls, plus the collector's work on the bodies.
 *
 * Messages: the child sends { t: 'ready', url } once listening. On { t: 'sample', dir, ext }
 * it answers { t: 'sample', files }: up to ten of the uploads delivered since the last sample,
 * spread over them (every ⌊n / 10⌋-th of n), each written to `dir` (path, call_id); it then
 * drops every body it holds (the bench counts uploads by the service's metrics). { t: 'close' }
 * ends it.
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/ports';
import { UploadServer } from '../../test/helpers/upload-server';

export interface SampledUpload {
  readonly path: string;
  readonly callId: string;
}

export type ToSink = { readonly t: 'sample'; readonly dir: string; readonly ext: string } | { readonly t: 'close' };
export type FromSink = { readonly t: 'ready'; readonly url: string } | { readonly t: 'sample'; readonly files: SampledUpload[] };

async function main(): Promise<void> {
  const upload = await UploadServer.start({ port: Number(process.argv[2]) });
  const send = (m: FromSink): void => void process.send?.(m);
  let seen = 0;
  process.on('message', (m: ToSink) => {
    if (m.t === 'close') {
      void upload.close().then(() => process.exit(0));
      return;
    }
    const all = upload.delivered();
    const fresh = all.slice(seen);
    seen = all.length;
    const every = Math.max(1, Math.floor(fresh.length / 10));
    const files = fresh.filter((_, i) => i % every === 0).slice(0, 10).map((r, i) => {
      const path = join(m.dir, `upload-${seen}-${i}.${m.ext}`);
      writeFileSync(path, r.body);
      return { path, callId: r.query.call_id ?? 'x' };
    });
    upload.releaseBodies();
    send({ t: 'sample', files });
  });
  send({ t: 'ready', url: upload.url });
}

/** The bench's side: the child started and listening. */
export interface UploadSink {
  readonly url: string;
  /** Up to ten of the uploads delivered since the last call, written to `dir`. */
  sample(dir: string, ext: string): Promise<SampledUpload[]>;
  close(): Promise<void>;
}

export async function startUploadSink(timeoutMs = 10_000): Promise<UploadSink> {
  const child = fork(__filename, [String(await freePort())], { stdio: 'inherit' });
  const next = (): Promise<FromSink> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('upload sink: no answer')), timeoutMs);
    child.once('message', (m: FromSink) => {
      clearTimeout(timer);
      resolve(m);
    });
  });
  const ready = await next();
  if (ready.t !== 'ready') throw new Error('upload sink: unexpected first message');
  return {
    url: ready.url,
    async sample(dir, ext) {
      const answer = next();
      child.send({ t: 'sample', dir, ext } satisfies ToSink);
      const m = await answer;
      if (m.t !== 'sample') throw new Error('upload sink: unexpected answer');
      return m.files;
    },
    close: () => new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.send({ t: 'close' } satisfies ToSink);
    }),
  };
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { CallMediaState, toneWav, type CallMedia, type ForkSubscription } from '../media';
import { ANNOUNCE_TONE } from '../policy/settings-schema';
import type { ResolvedRecordingSettings } from '../policy';
import type { LegEndpoint } from '../recorder';
import { feedNotice, pcm8kOf } from './notice-feed';

type Notice = NonNullable<ResolvedRecordingSettings['announce']>;

const toneFiles = new Map<string, Promise<string>>();

/**
 * The beep as a WAV file in `dir` (absolute path), written once per process. rtpengine plays a
 * file by path: its `blob` form fails through rtpengine-client 0.4 (measured on 10.5.3.5:
 * "Could not decode bencode dictionary", the client does not encode the bytes as they are), so
 * an external rtpengine needs the same path on its host.
 */
function toneFile(dir: string): Promise<string> {
  const path = join(resolve(dir), 'notice-tone.wav');
  let made = toneFiles.get(path);
  if (!made) {
    made = (async () => {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, toneWav());
      await rename(tmp, path);
      return path;
    })();
    made.catch(() => toneFiles.delete(path));
    toneFiles.set(path, made);
  }
  return made;
}

/**
 * Notice of recording (`announce` in the recording settings): once per call, when the first
 * recording that asks for it has begun and the call is answered, its tone or prompt is played
 * to both parties through rtpengine (`CallMedia.announce`). The first such recording decides
 * the media and whether the notice is recorded: the call's recordings share one fork, so a
 * notice cannot be in one file and not in another. A recorded notice is fed to every leg of the
 * session (notice-feed.ts) when its file is 8 kHz PCM, else played into the fork (which
 * rtpengine delivers to the caller's channel only).
 */
export class RecordingNotice {
  private wanted: Notice | undefined;
  private done = false;

  /** `dir`: where the beep's WAV is written (the recorder's spool). */
  constructor(private readonly dir: string, private readonly log: Logger) {}

  /** A recording with `announce` began. */
  want(notice: Notice | undefined): void {
    if (notice !== undefined && !this.done) this.wanted ??= notice;
  }

  /** Plays the notice when one is wanted and not yet played; never rejects. */
  async play(media: CallMedia | undefined, fork: ForkSubscription | undefined, legs: readonly LegEndpoint[]): Promise<void> {
    const notice = this.wanted;
    if (this.done || notice === undefined || media?.currentState !== CallMediaState.Active) return;
    this.done = true;
    try {
      const file = notice.media === ANNOUNCE_TONE ? await toneFile(this.dir) : notice.media;
      const pcm = notice.recorded && fork !== undefined && legs.length > 0 ? await readFile(file).then(pcm8kOf, () => undefined) : undefined;
      if (notice.recorded && fork !== undefined && !pcm) this.log.info({ media: notice.media }, 'notice is not 8 kHz PCM WAV: recorded in the caller\'s channel only');
      const [ms] = await Promise.all([media.announce({ file }, notice.recorded && !pcm ? fork : undefined), pcm ? feedNotice(legs, pcm) : undefined]);
      this.log.info({ media: notice.media, recorded: notice.recorded && fork !== undefined, durationMs: ms }, 'notice of recording played');
    } catch (err) {
      this.log.warn({ err, media: notice.media }, 'notice of recording not played');
    }
  }
}

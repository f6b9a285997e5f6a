import { useEffect, useRef, useState } from 'preact/hooks';
import { audio, accountPath, type Session } from './api';
import type { RecordingRow } from './filter';
import { LANE_LABELS, decode, draw, markPauses } from './waveform';

const ACCEPT: Record<string, string> = { mp3: 'audio/mpeg', wav: 'audio/wav' };

/** Fetches the file with the token (an <audio src> could not send it), plays it from a blob URL, draws its waveform. */
export function Player({ session, rec, onClose }: { session: Session; rec: RecordingRow; onClose: () => void }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [channels, setChannels] = useState(0);
  const canvas = useRef<HTMLCanvasElement>(null);
  const format = rec.media_type ?? 'mp3';

  useEffect(() => {
    let made: string | null = null;
    let live = true;
    setUrl(null);
    setError(null);
    setChannels(0);
    (async () => {
      const blob = await audio(session, accountPath(session, `recordings/${encodeURIComponent(rec.id)}`), ACCEPT[format] ?? 'audio/*');
      if (!live) return;
      made = URL.createObjectURL(blob);
      setUrl(made);
      const buf = await decode(await blob.arrayBuffer());
      if (!live || !canvas.current) return;
      draw(canvas.current, buf);
      markPauses(canvas.current, buf.duration, rec.paused_intervals ?? []);
      setChannels(buf.numberOfChannels);
    })().catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
      if (made !== null) URL.revokeObjectURL(made);
    };
  }, [rec.id]);

  return (
    <section class="player" aria-labelledby="player-title">
      <h2 id="player-title">Recording {rec.from ?? '?'} → {rec.to ?? '?'}</h2>
      {error !== null && <p role="alert" class="error">Cannot play: {error}</p>}
      {url === null && error === null && <p>Loading…</p>}
      {url !== null && <audio id="player-audio" controls src={url} aria-label="Recording audio" />}
      <figure>
        <canvas ref={canvas} id="waveform" width={800} height={200} role="img"
          aria-label={channels === 2 ? `Waveform: ${LANE_LABELS.join(' above, ')} below` : 'Waveform'} />
        {(rec.paused_intervals ?? []).length > 0 && (
          <p id="paused-intervals">Paused (not recorded): {(rec.paused_intervals ?? []).map((p) =>
            `${(p.offset_ms / 1000).toFixed(1)} s, ${(p.duration_ms / 1000).toFixed(1)} s${p.omitted ? ' cut out' : ' of silence'}`).join('; ')}</p>
        )}
        {channels === 2 && (
          <figcaption class="lanes">
            <span class="lane caller">{LANE_LABELS[0]}</span>
            <span class="lane callee">{LANE_LABELS[1]}</span>
          </figcaption>
        )}
      </figure>
      <div class="actions">
        {url !== null && <a class="button" href={url} download={`${rec.id}.${format}`}>Download</a>}
        <button type="button" onClick={onClose}>Close player</button>
      </div>
    </section>
  );
}

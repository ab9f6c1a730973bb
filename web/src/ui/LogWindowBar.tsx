// What part of the log the terminal holds, and the ways to get more: "Load earlier output" (twice
// the lines each time), from a seq the user names, or the whole raw log as a download.
import { useState } from 'react';
import type { Chunk, Session } from '../api/model';
import { formatBytes } from '../data/format';
import { fetchEarlier, fetchRange, fetchRawLog } from '../data/logOpen';
import { describeWindow, doubledLines, MAX_LINES, rangeFrom, beyondDoubling } from '../data/logWindow';
import type { SessionFeed } from '../data/sessionFeed';
import { useApp } from './context';

/** `lines`: newlines written to the terminal; `end`: the log offset it reached (e2e reads both). */
export function LogWindowBar({ feed, session, lines, end }: { feed: SessionFeed; session: Session; lines: number; end: number }) {
  const { api, notify } = useApp();
  const [busy, setBusy] = useState<'earlier' | 'download' | null>(null);
  const [progress, setProgress] = useState<string | null>(null);
  const [from, setFrom] = useState('');
  const total = Math.max(session.logBytes, feed.endOffset);
  const view = describeWindow(feed.firstSeq, feed.lastSeq, feed.bytes, total);
  const perChunk = feed.chunks.length ? lines / feed.chunks.length : 1;
  const canDouble = !beyondDoubling(lines);

  const load = async (get: () => Promise<Chunk[]>) => {
    if (busy) return;
    setBusy('earlier');
    try {
      feed.prepend(await get());
    } catch (e) {
      notify((e as Error).message, 'error');
    } finally {
      setBusy(null);
    }
  };
  // Twice the lines shown (the window's first chunk comes whole with them).
  const loadEarlier = () => load(() => fetchEarlier(api, feed.sessionId, doubledLines(lines), { seq: feed.firstSeq, bytes: feed.chunks[0]?.data.length ?? 0, held: feed.chunks.length }));
  // From a typed seq up to the window, its first chunk included (whole).
  const loadFrom = (seq: number) => {
    const r = rangeFrom(seq, feed.firstSeq);
    if (!r) return;
    const about = lines + r.limit * perChunk;
    if (about > MAX_LINES) {
      notify(`That is about ${Math.round(about).toLocaleString('en-US')} lines; the terminal holds ${MAX_LINES.toLocaleString('en-US')}. Download the whole log instead.`, 'error');
      return;
    }
    void load(() => fetchRange(api, feed.sessionId, { afterSeq: r.afterSeq, limit: r.limit + 1 }));
  };

  const download = async () => {
    if (busy) return;
    setBusy('download');
    try {
      const upTo = Math.max(session.logSeq, feed.lastSeq);
      const parts = await fetchRawLog(api, feed.sessionId, upTo, (seq) => setProgress(`${Math.floor((seq / Math.max(1, upTo)) * 100)}%`));
      const blob = new Blob(parts, { type: 'application/octet-stream' });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `agentmux-${session.name ?? session.shortId}.log`;
      document.body.append(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
      notify(`Downloaded ${formatBytes(blob.size)} of output`);
    } catch (e) {
      notify((e as Error).message, 'error');
    } finally {
      setBusy(null);
      setProgress(null);
    }
  };

  return (
    <div className="logwin" role="group" aria-label="Log window">
      <span className="muted small" data-testid="log-window" data-whole={view.whole} data-first-seq={feed.firstSeq} data-end={end} data-lines={lines} title={`${total.toLocaleString('en-US')} bytes in all`}>
        {view.text}
      </span>
      {!view.whole && (
        <>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => void loadEarlier()}
            disabled={busy !== null || !canDouble}
            title={canDouble ? 'Twice as many lines, ending where this starts' : `The terminal holds ${MAX_LINES.toLocaleString('en-US')} lines: download the whole log`}
            data-testid="load-earlier"
          >
            {busy === 'earlier' ? 'Loading…' : '↑ Load earlier output'}
          </button>
          <form
            className="logwin-from"
            onSubmit={(e) => {
              e.preventDefault();
              loadFrom(Number(from));
            }}
          >
            <label className="small muted">
              from seq{' '}
              <input type="number" min={1} max={Math.max(1, feed.firstSeq - 1)} value={from} onChange={(e) => setFrom(e.target.value)} placeholder="1" aria-label="Load from seq" />
            </label>
            <button type="submit" className="btn btn-small btn-ghost" disabled={busy !== null || !from}>
              Go
            </button>
          </form>
        </>
      )}
      {Math.max(session.logSeq, feed.lastSeq) > 0 && (
        <button type="button" className="btn btn-small btn-ghost" onClick={() => void download()} disabled={busy !== null} data-testid="download-log" title="The whole raw log as a file">
          {busy === 'download' ? `Downloading… ${progress ?? ''}` : '⤓ Download'}
        </button>
      )}
    </div>
  );
}

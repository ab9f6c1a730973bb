// Replay of a finished session with its original timing: play/pause, seek, 1×/2×/8×.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ptySize, type Chunk, type Session } from '../api/model';
import { formatClock } from '../data/format';
import { ReplayEngine } from '../data/replay';
import { useApp } from './context';
import { useEffectiveTheme } from './theme';
import { attachScrollKeys, useXterm } from './xterm';

const SPEEDS = [1, 2, 8];

export function Replay({ session, structured }: { session: Session; structured: boolean }) {
  const { api } = useApp();
  const box = useRef<HTMLDivElement>(null);
  const theme = useEffectiveTheme();
  const term = useXterm(box, {
    theme,
    fixedCols: structured ? null : ptySize(session).cols,
    convertEol: structured,
    stdin: false,
    label: 'Replay terminal',
  });
  const [chunks, setChunks] = useState<Chunk[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [engine, setEngine] = useState<ReplayEngine | null>(null);
  const [, setFrame] = useState(0);
  const timer = useRef<number | null>(null);

  useEffect(() => {
    const signal = { cancelled: false };
    api
      .allLogs(session.id, 0, signal)
      .then((c) => !signal.cancelled && setChunks(c))
      .catch((e: Error) => !signal.cancelled && setError(e.message));
    return () => {
      signal.cancelled = true;
    };
  }, [api, session.id]);

  useEffect(() => {
    if (!term || !chunks) return;
    const e = new ReplayEngine(chunks, {
      reset: () => term.reset(),
      write: (cs) => {
        for (const c of cs) term.write(c.data);
      },
    });
    setEngine(e);
    return () => setEngine(null);
  }, [term, chunks]);

  useEffect(() => {
    if (term) attachScrollKeys(term, false);
  }, [term]);

  const stopTimer = () => {
    if (timer.current !== null) window.clearTimeout(timer.current);
    timer.current = null;
  };

  const loop = useCallback(() => {
    if (!engine) return;
    stopTimer();
    const wait = engine.tick();
    setFrame((f) => f + 1);
    if (engine.playing) timer.current = window.setTimeout(loop, Math.min(wait, 100));
  }, [engine]);

  useEffect(() => () => stopTimer(), [engine]);

  const playPause = () => {
    if (!engine) return;
    if (engine.playing) {
      engine.pause();
      stopTimer();
      setFrame((f) => f + 1);
    } else {
      engine.play();
      loop();
    }
  };

  const pos = engine?.position() ?? 0;
  const dur = engine?.duration ?? 0;
  const loading = !chunks && !error;

  return (
    <div className="replay">
      <div className="replay-controls" role="group" aria-label="Replay controls">
        <button type="button" className="btn btn-primary" onClick={playPause} disabled={!engine || !chunks?.length} data-testid="replay-play">
          {engine?.playing ? '❚❚ Pause' : engine?.ended && pos > 0 ? '↺ Play again' : '▶ Play'}
        </button>
        <label className="seek">
          <span className="visually-hidden">Position</span>
          <input
            type="range"
            min={0}
            max={Math.max(100, Math.ceil(dur / 100) * 100)}
            step={100}
            value={Math.round(pos)}
            disabled={!engine || !chunks?.length}
            onChange={(e) => {
              engine?.seek(Number(e.target.value));
              if (engine?.playing) loop();
              else setFrame((f) => f + 1);
            }}
            aria-valuetext={`${formatClock(pos)} of ${formatClock(dur)}`}
            data-testid="replay-seek"
          />
        </label>
        <span className="clock" data-testid="replay-clock">
          {formatClock(pos)} / {formatClock(dur)}
        </span>
        <span className="speeds" role="radiogroup" aria-label="Speed">
          {SPEEDS.map((s) => (
            <button
              key={s}
              type="button"
              role="radio"
              aria-checked={(engine?.speed ?? 1) === s}
              className={`btn btn-small ${(engine?.speed ?? 1) === s ? 'btn-on' : ''}`}
              onClick={() => {
                engine?.setSpeed(s);
                if (engine?.playing) loop();
                else setFrame((f) => f + 1);
              }}
              disabled={!engine}
            >
              {s}×
            </button>
          ))}
        </span>
      </div>
      {loading && <p className="muted small">Loading the log…</p>}
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      {chunks && chunks.length === 0 && <p className="muted small">This session printed nothing.</p>}
      <div className={`term ${structured ? '' : 'term-fixed'}`} ref={box} data-testid="replay-terminal" />
    </div>
  );
}

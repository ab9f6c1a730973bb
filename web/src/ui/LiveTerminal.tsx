// The session's terminal, live: the whole log from seq 1, then live output, exactly as the
// agent wrote it. Follows the output unless the user scrolled up (scroll lock); for a running
// PTY session, typing goes to the agent and the PTY takes the terminal's size.
import { useEffect, useRef, useState } from 'react';
import { ptySize, type Session } from '../api/model';
import type { SessionFeed } from '../data/sessionFeed';
import { useEffectiveTheme } from './theme';
import { attachScrollKeys, useXterm } from './xterm';

export function LiveTerminal({ feed, session, hidden, structured }: { feed: SessionFeed; session: Session; hidden: boolean; structured: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const theme = useEffectiveTheme();
  const running = session.status === 'running';
  const typeable = running && !structured;
  const [takeover, setTakeover] = useState(false);
  const fixedCols = structured || takeover ? null : ptySize(session).cols;
  const term = useXterm(box, {
    theme,
    fixedCols,
    convertEol: structured,
    stdin: typeable,
    label: typeable ? 'Session terminal: typing goes to the agent' : 'Session terminal output',
  });
  const [locked, setLocked] = useState(false);
  const [unseen, setUnseen] = useState(0);
  const lockedRef = useRef(false);
  const [bytes, setBytes] = useState(0);

  // The whole log so far, then every new chunk, in seq order (the feed merges and dedups).
  useEffect(() => {
    if (!term) return;
    let written = 0;
    const write = (data: Uint8Array) => {
      written += data.length;
      term.write(data);
    };
    for (const c of feed.chunks) write(c.data);
    setBytes(written);
    let pending = false;
    const off = feed.listen({
      onChunk: (c) => {
        write(c.data);
        if (lockedRef.current) setUnseen((n) => n + 1);
        if (!pending) {
          pending = true;
          requestAnimationFrame(() => {
            pending = false;
            setBytes(written);
          });
        }
      },
    });
    return () => {
      off();
    };
  }, [term, feed]);

  // Scroll lock: xterm keeps the viewport where the user scrolled to; show it and offer a way back.
  useEffect(() => {
    if (!term) return;
    const check = () => {
      const b = term.buffer.active;
      const isLocked = b.viewportY < b.baseY;
      if (isLocked !== lockedRef.current) {
        lockedRef.current = isLocked;
        setLocked(isLocked);
        if (!isLocked) setUnseen(0);
      }
    };
    const d1 = term.onScroll(check);
    const d2 = term.onWriteParsed(check);
    const el = box.current;
    el?.addEventListener('wheel', check, { passive: true });
    return () => {
      d1.dispose();
      d2.dispose();
      el?.removeEventListener('wheel', check);
    };
  }, [term]);

  useEffect(() => {
    if (term) attachScrollKeys(term, typeable);
  }, [term, typeable]);

  // Input and resize for a running PTY session.
  useEffect(() => {
    if (!term || !typeable) return;
    const d1 = term.onData((data) => {
      feed.input(data);
    });
    const d2 = term.onBinary((data) => {
      feed.inputBytes(btoa(data));
    });
    const onFocus = () => setTakeover(true);
    term.textarea?.addEventListener('focus', onFocus);
    return () => {
      d1.dispose();
      d2.dispose();
      term.textarea?.removeEventListener('focus', onFocus);
    };
  }, [term, typeable, feed]);

  useEffect(() => {
    if (!term || !takeover || !typeable) return;
    // Once the user works in this terminal, the agent's PTY follows its size.
    feed.resize(term.cols, term.rows);
    const d = term.onResize(({ cols, rows }) => feed.resize(cols, rows));
    return () => d.dispose();
  }, [term, takeover, typeable, feed]);

  useEffect(() => {
    if (!hidden && term) requestAnimationFrame(() => term.refresh(0, term.rows - 1));
  }, [hidden, term]);

  return (
    <div className="term-wrap" hidden={hidden}>
      <div className="term-toolbar">
        <span className="muted small" data-testid="term-bytes" data-bytes={bytes}>
          {bytes.toLocaleString()} bytes · seq {feed.lastSeq}
        </span>
        {typeable && (
          <span className="hint small">
            {takeover ? 'Typing goes to the agent · Shift+PgUp/PgDn scrolls' : 'Click the terminal to type to the agent'}
          </span>
        )}
        <span className="spacer" />
        {locked ? (
          <button type="button" className="btn btn-small btn-accent" onClick={() => term?.scrollToBottom()} data-testid="jump-live">
            Scroll locked{unseen ? ` · ${unseen} new` : ''} — jump to latest ↓
          </button>
        ) : (
          <span className="muted small">{running ? 'Following output' : ''}</span>
        )}
      </div>
      <div className={`term ${fixedCols ? 'term-fixed' : ''}`} ref={box} data-testid="terminal" />
    </div>
  );
}

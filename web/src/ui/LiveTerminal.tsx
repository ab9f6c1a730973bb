// The session's terminal, live: the log the feed holds (a long one from its last lines: see
// logWindow.ts), then live output, exactly as the agent wrote it, scrolled to the end. Follows
// the output unless the user scrolled up (scroll lock). A running PTY session types to the agent;
// on the session page (`fit`) its PTY takes this terminal's size at once, so a full-screen program
// (top, an agent's TUI) redraws for the screen it is shown on. Phones get a key bar.
import { useEffect, useRef, useState } from 'react';
import { ptySize, type Session } from '../api/model';
import { barKeyBytes, withCtrl, type BarKey } from '../data/keys';
import { countLines, scrollbackFor } from '../data/logWindow';
import type { SessionFeed } from '../data/sessionFeed';
import { KeyBar, TOUCH_QUERY, useMediaQuery } from './KeyBar';
import { LogWindowBar } from './LogWindowBar';
import { useEffectiveTheme } from './theme';
import { attachScrollKeys, useXterm } from './xterm';

export function LiveTerminal({ feed, session, hidden, structured, fit = false }: { feed: SessionFeed; session: Session; hidden: boolean; structured: boolean; fit?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const theme = useEffectiveTheme();
  const running = session.status === 'running';
  const typeable = running && !structured;
  const [takeover, setTakeover] = useState(false);
  // This terminal sets the PTY's size: on the session page at once, elsewhere once typed into.
  const sizing = typeable && (fit || takeover);
  const fixedCols = structured || sizing ? null : ptySize(session).cols;
  const [initialScrollback] = useState(() => scrollbackFor(countLines(feed.chunks)));
  const term = useXterm(box, {
    theme,
    fixedCols,
    convertEol: structured,
    stdin: typeable,
    label: typeable ? 'Session terminal: typing goes to the agent' : 'Session terminal output',
    scrollback: initialScrollback,
  });
  const [locked, setLocked] = useState(false);
  const [unseen, setUnseen] = useState(0);
  const lockedRef = useRef(false);
  const [shown, setShown] = useState({ end: 0, lines: 0 });
  const touch = useMediaQuery(TOUCH_QUERY);
  const [ctrl, setCtrl] = useState(false);
  const ctrlRef = useRef(false);
  ctrlRef.current = ctrl;

  // What the feed holds, then every new chunk, in seq order (the feed merges and dedups); when
  // earlier output is put in front, everything again, with the view where the old start was.
  useEffect(() => {
    if (!term) return;
    let lines = 0;
    const write = (data: Uint8Array, done?: () => void) => {
      for (let i = 0; i < data.length; i++) if (data[i] === 10) lines++;
      term.write(data, done);
    };
    let pending = false;
    const show = () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        setShown({ end: feed.endOffset, lines });
      });
    };
    const writeAll = (onDone: () => void) => {
      const cs = feed.chunks;
      if (!cs.length) return onDone();
      cs.forEach((c, i) => write(c.data, i === cs.length - 1 ? onDone : undefined));
    };
    writeAll(() => term.scrollToBottom());
    show();
    const off = feed.listen({
      onChunk: (c) => {
        write(c.data);
        if (lockedRef.current) setUnseen((n) => n + 1);
        show();
      },
      onReset: (added) => {
        // Everything again, the view where the old start was (`added` lines down).
        lines = 0;
        term.options.scrollback = scrollbackFor(countLines(feed.chunks));
        term.reset();
        writeAll(() => term.scrollToLine(Math.max(0, added - 2)));
        show();
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

  // Input for a running PTY session; the sticky Ctrl of the key bar applies to the next key typed.
  useEffect(() => {
    if (!term || !typeable) return;
    const d1 = term.onData((data) => {
      const r = withCtrl(data, ctrlRef.current);
      if (r.used) setCtrl(false);
      feed.input(r.data);
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

  // The PTY follows this terminal's size while it shows (debounced: a window drag is many
  // resizes), sent again on every reconnection; the program redraws for it (SIGWINCH). A hidden
  // tab has no size to give.
  useEffect(() => {
    if (!term || !sizing || hidden) return;
    let t = 0;
    const send = () => {
      window.clearTimeout(t);
      t = window.setTimeout(() => feed.keepSize(term.cols, term.rows), 80);
    };
    send();
    const d = term.onResize(send);
    return () => {
      window.clearTimeout(t);
      d.dispose();
    };
  }, [term, sizing, hidden, feed]);
  useEffect(() => {
    if (!sizing) feed.releaseSize();
    return () => feed.releaseSize();
  }, [sizing, feed]);

  useEffect(() => {
    if (!hidden && term) requestAnimationFrame(() => term.refresh(0, term.rows - 1));
  }, [hidden, term]);

  const onKey = (k: BarKey) => {
    if (!term) return;
    feed.input(barKeyBytes(k, { appCursor: term.modes.applicationCursorKeysMode, ctrl }));
    setCtrl(false);
    term.focus();
  };

  return (
    <div className="term-wrap" hidden={hidden}>
      <div className="term-toolbar">
        <LogWindowBar feed={feed} session={session} lines={shown.lines} end={shown.end} />
        {typeable && (
          <span className="hint small term-hint">
            {takeover ? 'Typing goes to the agent · Shift+PgUp/PgDn scrolls' : 'Click the terminal to type to the agent'}
          </span>
        )}
        <span className="spacer" />
        {locked ? (
          <button type="button" className="btn btn-small btn-accent" onClick={() => term?.scrollToBottom()} data-testid="jump-live">
            Scroll locked{unseen ? ` · ${unseen} new` : ''} — jump to latest ↓
          </button>
        ) : (
          <span className="muted small term-hint">{running ? 'Following output' : ''}</span>
        )}
      </div>
      <div className={`term ${fixedCols ? 'term-fixed' : ''}`} ref={box} data-testid="terminal" />
      {typeable && touch && <KeyBar ctrl={ctrl} onKey={onKey} onCtrl={() => setCtrl((c) => !c)} />}
    </div>
  );
}

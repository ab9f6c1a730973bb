// xterm.js in React: one Terminal per mounted container, sized to it, themed with the page.
// A PTY session's output is drawn at the PTY's width (cursor moves and wrapping are only right
// at the width the agent drew for); rows follow the container. Pipe output is plain lines and
// fills the container. The container must be `box-sizing: content-box` (styles.css `.term`): the
// fit reads its computed height, which must not include its padding and border.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITheme } from '@xterm/xterm';
import { useEffect, useRef, useState, type RefObject } from 'react';

const DARK: ITheme = {
  background: '#0b0f14',
  foreground: '#d8dee9',
  cursor: '#d8dee9',
  cursorAccent: '#0b0f14',
  selectionBackground: '#3b4a63',
  black: '#1c2128',
  red: '#f47067',
  green: '#57ab5a',
  yellow: '#c69026',
  blue: '#539bf5',
  magenta: '#b083f0',
  cyan: '#39c5cf',
  white: '#adbac7',
  brightBlack: '#636e7b',
  brightRed: '#ff938a',
  brightGreen: '#6bc46d',
  brightYellow: '#daaa3f',
  brightBlue: '#6cb6ff',
  brightMagenta: '#dcbdfb',
  brightCyan: '#56d4dd',
  brightWhite: '#cdd9e5',
};

const LIGHT: ITheme = {
  background: '#fbfbfc',
  foreground: '#1f2328',
  cursor: '#1f2328',
  cursorAccent: '#fbfbfc',
  selectionBackground: '#b6d4fe',
  black: '#24292f',
  red: '#cf222e',
  green: '#116329',
  yellow: '#7d4e00',
  blue: '#0550ae',
  magenta: '#8250df',
  cyan: '#1b7c83',
  white: '#6e7781',
  brightBlack: '#57606a',
  brightRed: '#a40e26',
  brightGreen: '#1a7f37',
  brightYellow: '#633c01',
  brightBlue: '#0969da',
  brightMagenta: '#8250df',
  brightCyan: '#3192aa',
  brightWhite: '#8c959f',
};

export interface XtermOptions {
  theme: 'light' | 'dark';
  /** Fixed width in columns (a PTY's), or null to fill the container. */
  fixedCols: number | null;
  /** \n → \r\n, for pipe output that never went through a terminal. */
  convertEol: boolean;
  stdin: boolean;
  label: string;
  /** Lines kept above the screen (default 50,000): enough for what the page loaded. */
  scrollback?: number;
}

export function useXterm(container: RefObject<HTMLDivElement | null>, opts: XtermOptions): Terminal | null {
  const [term, setTerm] = useState<Terminal | null>(null);
  const fitRef = useRef<FitAddon | null>(null);
  const fixedColsRef = useRef(opts.fixedCols);
  fixedColsRef.current = opts.fixedCols;

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const t = new Terminal({
      convertEol: opts.convertEol,
      disableStdin: !opts.stdin,
      cursorBlink: false,
      scrollback: opts.scrollback ?? 50_000,
      fontFamily: "ui-monospace, 'SFMono-Regular', 'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace",
      fontSize: 13,
      lineHeight: 1.15,
      theme: opts.theme === 'dark' ? DARK : LIGHT,
      allowProposedApi: false,
      cols: opts.fixedCols ?? 80,
      rows: 24,
    });
    const fit = new FitAddon();
    t.loadAddon(fit);
    t.open(el);
    t.textarea?.setAttribute('aria-label', opts.label);
    fitRef.current = fit;
    const refit = () => {
      if (!el.isConnected || el.clientHeight === 0) return;
      const dims = fit.proposeDimensions();
      if (!dims || !Number.isFinite(dims.rows) || dims.rows <= 0) return;
      const cols = fixedColsRef.current ?? Math.max(20, dims.cols);
      const rows = Math.max(5, dims.rows);
      if (cols !== t.cols || rows !== t.rows) t.resize(cols, rows);
    };
    const ro = new ResizeObserver(() => refit());
    ro.observe(el);
    refit();
    setTerm(t);
    return () => {
      ro.disconnect();
      fitRef.current = null;
      setTerm(null);
      t.dispose();
    };
    // The terminal is created once; the effects below apply option changes to it.
  }, [container]);

  useEffect(() => {
    if (term) term.options.theme = opts.theme === 'dark' ? DARK : LIGHT;
  }, [term, opts.theme]);

  useEffect(() => {
    if (term) term.options.disableStdin = !opts.stdin;
  }, [term, opts.stdin]);

  useEffect(() => {
    if (term) term.options.convertEol = opts.convertEol;
  }, [term, opts.convertEol]);

  useEffect(() => {
    if (term && opts.scrollback && term.options.scrollback !== opts.scrollback) term.options.scrollback = opts.scrollback;
  }, [term, opts.scrollback]);

  useEffect(() => {
    if (!term || !fitRef.current) return;
    const dims = fitRef.current.proposeDimensions();
    const cols = opts.fixedCols ?? (dims && Number.isFinite(dims.cols) ? Math.max(20, dims.cols) : term.cols);
    if (cols !== term.cols) term.resize(cols, term.rows);
  }, [term, opts.fixedCols]);

  return term;
}

/**
 * Keyboard scrolling: PageUp/PageDown/Home/End (and arrows) scroll a read-only terminal; in a
 * terminal that types to the agent, the same keys with Shift scroll and without go to the agent.
 */
export function attachScrollKeys(term: Terminal, typeable: boolean): void {
  term.attachCustomKeyEventHandler((ev) => {
    if (ev.type !== 'keydown' || ev.ctrlKey || ev.altKey || ev.metaKey) return true;
    if (typeable && !ev.shiftKey) return true;
    switch (ev.key) {
      case 'PageUp':
        term.scrollPages(-1);
        return false;
      case 'PageDown':
        term.scrollPages(1);
        return false;
      case 'Home':
        term.scrollToTop();
        return false;
      case 'End':
        term.scrollToBottom();
        return false;
      case 'ArrowUp':
        if (typeable) return true;
        term.scrollLines(-1);
        return false;
      case 'ArrowDown':
        if (typeable) return true;
        term.scrollLines(1);
        return false;
      default:
        return true;
    }
  });
}

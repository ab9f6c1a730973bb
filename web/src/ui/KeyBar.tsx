// Esc, Tab, a sticky Ctrl and the arrows, under the terminal on phones and tablets, whose
// keyboards have none of them. A press keeps the focus (and the phone's keyboard) in the terminal.
import { useEffect, useState, type MouseEvent } from 'react';
import { BAR_KEYS, type BarKey } from '../data/keys';

const keepFocus = (e: MouseEvent) => e.preventDefault();

export function KeyBar({ ctrl, onKey, onCtrl }: { ctrl: boolean; onKey: (k: BarKey) => void; onCtrl: () => void }) {
  const [first, ...rest] = BAR_KEYS;
  const [tab] = rest;
  const button = (k: (typeof BAR_KEYS)[number]) => (
    <button key={k.key} type="button" className="btn keybar-key" title={k.title} aria-label={k.title} data-key={k.key} onMouseDown={keepFocus} onClick={() => onKey(k.key)}>
      {k.label}
    </button>
  );
  return (
    <div className="keybar" role="toolbar" aria-label="Terminal keys" data-testid="keybar">
      {first && button(first)}
      {tab && button(tab)}
      <button
        type="button"
        className={`btn keybar-key ${ctrl ? 'btn-on' : ''}`}
        aria-pressed={ctrl}
        title="Ctrl: the next key is sent with Ctrl"
        data-key="ctrl"
        onMouseDown={keepFocus}
        onClick={onCtrl}
      >
        Ctrl
      </button>
      {rest.slice(1).map(button)}
    </div>
  );
}

/** Whether a CSS media query matches, kept current. */
export function useMediaQuery(query: string): boolean {
  const [match, setMatch] = useState(() => typeof window !== 'undefined' && window.matchMedia(query).matches);
  useEffect(() => {
    const m = window.matchMedia(query);
    const on = () => setMatch(m.matches);
    on();
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, [query]);
  return match;
}

/** Phones and tablets: narrow, or a touch screen without a fine pointer. */
export const TOUCH_QUERY = '(max-width: 720px), (pointer: coarse)';

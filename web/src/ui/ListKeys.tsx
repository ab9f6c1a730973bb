// The sessions list from the keyboard (data/listNav.ts): j/k select, Enter opens, / searches,
// ? shows the keys, Esc closes the help or leaves the search box. Not while typing in a field or
// the terminal, nor while a dialog is open.
import { useEffect, useRef } from 'react';
import { LIST_KEYS, listKey, type ListKey } from '../data/listNav';

const typingIn = (t: EventTarget | null) => {
  const el = t as HTMLElement | null;
  return !!el && (el.isContentEditable || !!el.closest?.('input, textarea, select, [contenteditable], .xterm'));
};

export function useListKeys(on: (k: ListKey, target: EventTarget | null) => void) {
  const ref = useRef(on);
  ref.current = on;
  useEffect(() => {
    const handler = (e: KeyboardEvent) => {
      if (document.querySelector('dialog[open]')) return;
      const k = listKey(e, typingIn(e.target));
      if (!k) return;
      // Enter on a link or button does its own thing.
      if (k === 'open' && (e.target as HTMLElement | null)?.closest?.('a, button')) return;
      e.preventDefault();
      ref.current(k, e.target);
    };
    window.addEventListener('keydown', handler);
    return () => window.removeEventListener('keydown', handler);
  }, []);
}

export function KeysHelp({ onClose }: { onClose: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    box.current?.focus();
    return () => before?.focus?.();
  }, []);
  return (
    <div className="keys-backdrop" onClick={onClose}>
      <div className="keys-help" role="dialog" aria-modal="true" aria-labelledby="keys-title" tabIndex={-1} ref={box} onClick={(e) => e.stopPropagation()} data-testid="keys-help">
        <h2 id="keys-title">Keyboard</h2>
        <dl>
          {LIST_KEYS.map(([k, what]) => (
            <div key={k}>
              <dt>
                {k.split(' / ').map((part, i) => (
                  <span key={part}>
                    {i > 0 && ' / '}
                    <kbd>{part}</kbd>
                  </span>
                ))}
              </dt>
              <dd>{what}</dd>
            </div>
          ))}
        </dl>
        <button type="button" className="btn" onClick={onClose}>
          Close <span className="muted small">Esc</span>
        </button>
      </div>
    </div>
  );
}

// The terminal's key bar on phones and tablets (no Esc, Tab, Ctrl or arrow keys on a touch
// keyboard): the bytes each key sends to the agent's PTY, as a terminal would send them. Ctrl is
// sticky: it applies to the next key, from the bar or the keyboard.

export type BarKey = 'esc' | 'tab' | 'left' | 'up' | 'right' | 'down';

export const BAR_KEYS: readonly { key: BarKey; label: string; title: string }[] = [
  { key: 'esc', label: 'Esc', title: 'Escape' },
  { key: 'tab', label: 'Tab', title: 'Tab' },
  { key: 'left', label: '←', title: 'Left arrow' },
  { key: 'up', label: '↑', title: 'Up arrow' },
  { key: 'right', label: '→', title: 'Right arrow' },
  { key: 'down', label: '↓', title: 'Down arrow' },
];

const ARROW: Record<'up' | 'down' | 'right' | 'left', string> = { up: 'A', down: 'B', right: 'C', left: 'D' };

export interface KeyState {
  /** The program asked for application cursor keys (DECCKM: vim, less, top): arrows are ESC O x. */
  appCursor: boolean;
  /** The sticky Ctrl is on. */
  ctrl: boolean;
}

/** What a key of the bar sends. */
export function barKeyBytes(key: BarKey, st: KeyState): string {
  switch (key) {
    case 'esc':
      return '\x1b';
    case 'tab':
      return '\t';
    default: {
      const c = ARROW[key];
      if (st.ctrl) return `\x1b[1;5${c}`; // Ctrl+arrow (word-wise in most line editors)
      return st.appCursor ? `\x1bO${c}` : `\x1b[${c}`;
    }
  }
}

/** The control character Ctrl+`ch` makes (Ctrl+C → 0x03, Ctrl+[ → ESC, Ctrl+? → DEL), or null. */
export function ctrlChar(ch: string): string | null {
  if (ch.length !== 1) return null;
  const code = ch.toUpperCase().charCodeAt(0);
  if (code >= 0x40 && code <= 0x5f) return String.fromCharCode(code - 0x40); // @ A–Z [ \ ] ^ _
  if (ch === ' ' || ch === '2') return '\x00';
  if (ch === '?' || ch === '8') return '\x7f';
  if (ch >= '3' && ch <= '7') return String.fromCharCode(ch.charCodeAt(0) - 0x33 + 0x1b); // 3→ESC … 7→0x1f
  return null;
}

/**
 * Typed `data` with the sticky Ctrl applied: one character becomes its control character; text
 * that has none (a pasted word, an escape sequence) goes as it is. `used`: whether Ctrl was spent.
 */
export function withCtrl(data: string, ctrl: boolean): { data: string; used: boolean } {
  if (!ctrl) return { data, used: false };
  const c = ctrlChar(data);
  return c === null ? { data, used: false } : { data: c, used: true };
}

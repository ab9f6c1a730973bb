import { describe, expect, it } from 'vitest';
import { barKeyBytes, ctrlChar, withCtrl } from './keys';

const plain = { appCursor: false, ctrl: false };

describe('key bar bytes', () => {
  it('Esc and Tab send ESC and HT', () => {
    expect(barKeyBytes('esc', plain)).toBe('\x1b');
    expect(barKeyBytes('tab', plain)).toBe('\t');
  });

  it('arrows send CSI A–D, or SS3 A–D when the program asked for application cursor keys', () => {
    expect(['up', 'down', 'right', 'left'].map((k) => barKeyBytes(k as 'up', plain))).toEqual(['\x1b[A', '\x1b[B', '\x1b[C', '\x1b[D']);
    expect(barKeyBytes('up', { appCursor: true, ctrl: false })).toBe('\x1bOA');
    expect(barKeyBytes('left', { appCursor: true, ctrl: false })).toBe('\x1bOD');
  });

  it('Ctrl+arrow sends the xterm modifier form', () => {
    expect(barKeyBytes('left', { appCursor: false, ctrl: true })).toBe('\x1b[1;5D');
    expect(barKeyBytes('right', { appCursor: true, ctrl: true })).toBe('\x1b[1;5C');
  });

  it('control characters as a terminal makes them', () => {
    expect(ctrlChar('c')).toBe('\x03');
    expect(ctrlChar('C')).toBe('\x03');
    expect(ctrlChar('d')).toBe('\x04');
    expect(ctrlChar('[')).toBe('\x1b');
    expect(ctrlChar('@')).toBe('\x00');
    expect(ctrlChar(' ')).toBe('\x00');
    expect(ctrlChar('?')).toBe('\x7f');
    expect(ctrlChar('\\')).toBe('\x1c');
    expect(ctrlChar('_')).toBe('\x1f');
    expect(ctrlChar('é')).toBeNull();
    expect(ctrlChar('ab')).toBeNull();
  });

  it('the sticky Ctrl turns the next typed character into its control character, once', () => {
    expect(withCtrl('c', true)).toEqual({ data: '\x03', used: true });
    expect(withCtrl('c', false)).toEqual({ data: 'c', used: false });
    // A paste or an escape sequence goes as it is and leaves Ctrl armed.
    expect(withCtrl('hello', true)).toEqual({ data: 'hello', used: false });
    expect(withCtrl('\x1b[A', true)).toEqual({ data: '\x1b[A', used: false });
  });
});

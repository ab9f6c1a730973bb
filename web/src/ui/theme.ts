// Dark and light themes: follow prefers-color-scheme unless the user picked one (kept in
// localStorage). The terminal needs the effective theme, so it is a hook.
import { useEffect, useState, useSyncExternalStore } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'agentmux.theme';

function readChoice(): ThemeChoice {
  const v = window.localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

const listeners = new Set<() => void>();
let choice: ThemeChoice = typeof window === 'undefined' ? 'system' : readChoice();

export function setThemeChoice(c: ThemeChoice): void {
  choice = c;
  if (c === 'system') window.localStorage.removeItem(KEY);
  else window.localStorage.setItem(KEY, c);
  applyThemeChoice();
  for (const l of listeners) l();
}

export function applyThemeChoice(): void {
  if (choice === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
}

export function useThemeChoice(): ThemeChoice {
  return useSyncExternalStore(
    (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    () => choice,
  );
}

export function useEffectiveTheme(): 'light' | 'dark' {
  const c = useThemeChoice();
  const [prefersDark, setPrefersDark] = useState(() => window.matchMedia('(prefers-color-scheme: dark)').matches);
  useEffect(() => {
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const on = () => setPrefersDark(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return c === 'system' ? (prefersDark ? 'dark' : 'light') : c;
}

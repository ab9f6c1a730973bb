// Sessions that need the user, app-wide (data/attention.ts): the tab title's count, "Notify me"
// (a browser notification for each session that newly needs the user), and the ack sent when a
// session that needs the user is opened.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Session } from '../api/model';
import { attentionBody, type AttentionStore } from '../data/attention';
import { sessionLabel } from '../data/format';
import type { SessionFeed } from '../data/sessionFeed';
import { useApp } from './context';
import { href, navigate } from './router';
import { setAttentionCount } from './title';

const NOTIFY_KEY = 'agentmux.notify';

function notifyOn(): boolean {
  try {
    return window.localStorage.getItem(NOTIFY_KEY) === '1';
  } catch {
    return false;
  }
}

const canNotify = () => typeof window !== 'undefined' && 'Notification' in window;

/** Runs the store for the app's lifetime: the title's count, and a notification per new call. */
export function useAttention(store: AttentionStore): void {
  useEffect(() => store.start(), [store]);
  const needing = useSyncExternalStore(store.subscribe, store.getSnapshot);
  useEffect(() => setAttentionCount(needing.length), [needing]);
  useEffect(
    () =>
      store.onGain((s) => {
        if (!notifyOn() || !canNotify() || Notification.permission !== 'granted' || !s.attention) return;
        // Not for the session the user is looking at.
        if (document.visibilityState === 'visible' && document.hasFocus() && window.location.hash.startsWith(`#/sessions/${s.id}`)) return;
        try {
          const n = new Notification(s.name ?? sessionLabel(s), { body: attentionBody(s.attention), tag: `agentmux-${s.id}` });
          n.onclick = () => {
            window.focus();
            navigate(href(`/sessions/${s.id}`));
            n.close();
          };
        } catch {
          /* a browser that allows them only from a service worker */
        }
      }),
    [store],
  );
}

/** The "Notify me" switch of the top bar; switching it on asks the browser's permission. */
export function NotifyToggle() {
  const { notify } = useApp();
  const [on, setOn] = useState(() => notifyOn() && canNotify() && Notification.permission === 'granted');
  const toggle = async () => {
    if (on) {
      window.localStorage.setItem(NOTIFY_KEY, '0');
      setOn(false);
      return;
    }
    if (!canNotify()) {
      notify('This browser cannot show notifications.', 'error');
      return;
    }
    const perm = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
    if (perm !== 'granted') {
      notify('Notifications are blocked for this page: allow them in the browser’s site settings.', 'error');
      return;
    }
    window.localStorage.setItem(NOTIFY_KEY, '1');
    setOn(true);
    notify('You will be notified when a session needs you.');
  };
  return (
    <button
      type="button"
      className={`btn btn-ghost notify-toggle ${on ? 'notify-on' : ''}`}
      aria-pressed={on}
      onClick={() => void toggle()}
      title={on ? 'Notify me: on (a notification when a session needs you)' : 'Notify me when a session needs input, asks permission or ends'}
      data-testid="notify-toggle"
    >
      <BellIcon on={on} />
      <span className="notify-label">Notify me</span>
    </button>
  );
}

function BellIcon({ on }: { on: boolean }) {
  return (
    <svg className="bell" viewBox="0 0 16 16" width="15" height="15" aria-hidden="true">
      <path d="M8 1.5a4 4 0 0 0-4 4v2.8L2.6 11h10.8L12 8.3V5.5a4 4 0 0 0-4-4z" fill={on ? 'currentColor' : 'none'} stroke="currentColor" strokeWidth="1.3" strokeLinejoin="round" />
      <path d="M6.3 12.8a1.8 1.8 0 0 0 3.4 0" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" />
      {!on && <path d="M2.5 2.5l11 11" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" />}
    </svg>
  );
}

/**
 * Looking at a session that needs the user acknowledges it (POST …/ack, attention becomes null):
 * once per call, while the tab is visible.
 */
export function useAck(s: Session | null, feed: SessionFeed | null): void {
  const { api, attention } = useApp();
  const done = useRef('');
  const [visible, setVisible] = useState(() => document.visibilityState !== 'hidden');
  useEffect(() => {
    const on = () => setVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', on);
    return () => document.removeEventListener('visibilitychange', on);
  }, []);
  const id = s?.id ?? '';
  const key = s?.attention ? `${id} ${s.attention.reason} ${s.attention.since}` : '';
  useEffect(() => {
    if (!key || !visible || done.current === key) return;
    done.current = key;
    api
      .ack(id)
      .then((u) => {
        feed?.updateSession(u);
        attention.update(u);
      })
      .catch(() => {
        done.current = '';
      });
  }, [api, attention, feed, id, key, visible]);
}

import { useEffect, useState, useSyncExternalStore } from 'react';
import type { SessionFilter } from '../api/http';
import type { Attention, Changes, SessionStatus } from '../api/model';
import { attentionBody, attentionLabel } from '../data/attention';
import { absoluteTime } from '../data/format';
import { changeCounts } from '../data/changes';
import { SessionListStore } from '../data/sessionList';
import { STATUS_LABEL } from '../data/status';
import { useApp } from './context';

const STATUS_ICON: Record<SessionStatus, string> = {
  pending: '○',
  running: '●',
  paused: '❚❚',
  completed: '✓',
  failed: '✕',
  cancelled: '■',
  interrupted: '!',
};

export function StatusBadge({ status }: { status: SessionStatus }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      <span className="badge-icon" aria-hidden="true">
        {STATUS_ICON[status]}
      </span>
      {STATUS_LABEL[status]}
    </span>
  );
}

/** "needs input", "permission?", "done": the session waits for the user (issue 16). */
export function AttentionBadge({ attention }: { attention: Attention | null }) {
  if (!attention) return null;
  const since = attention.since ? ` since ${absoluteTime(attention.since)}` : '';
  return (
    <span className={`attn attn-${attention.reason}`} data-testid="attention" data-reason={attention.reason} title={`${attentionBody(attention)}${since}`}>
      <span aria-hidden="true">{attention.reason === 'ended' ? '◆' : '●'}</span>
      {attentionLabel(attention)}
    </span>
  );
}

export function SpecChips({ ids, max = 4 }: { ids: string[]; max?: number }) {
  if (!ids.length) return null;
  const shown = ids.slice(0, max);
  return (
    <span className="chips" aria-label={`Specs: ${ids.join(', ')}`}>
      {shown.map((id, i) => (
        <span key={`${id}-${i}`} className="chip" title={`Spec ${id}`}>
          {id}
        </span>
      ))}
      {ids.length > max && <span className="chip chip-more">+{ids.length - max}</span>}
    </span>
  );
}

/** "+12 −3" (green, red) for what a session changed; nothing while unknown. */
export function ChangeCounts({ changes }: { changes: Changes | null }) {
  const c = changeCounts(changes);
  if (!c) return null;
  return (
    <span className="change-counts" title={c.title} data-testid="change-counts">
      <span className="diff-add">{c.add}</span> <span className="diff-del">{c.del}</span>
    </span>
  );
}

/** Re-renders every `ms` while `active` (live durations, relative times). No fetching. */
export function useNow(ms = 1000, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms, active]);
  return now;
}

/** A SessionListStore for the page's lifetime, loaded with `filter` (reloads when it changes). */
export function useSessionList(filter: SessionFilter | null) {
  const { api, watch, rememberProjects, onAuthError } = useApp();
  const [store] = useState(() => new SessionListStore(api, watch));
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const key = filter ? JSON.stringify(filter) : null;
  useEffect(() => {
    if (key === null) return;
    void store.load(JSON.parse(key) as SessionFilter);
  }, [key, store]);
  useEffect(() => () => store.dispose(), [store]);
  // Every session created or changed, from the app's watch: new ones show up, ended ones keep
  // changing (attention), deleted ones go.
  useEffect(() => watch.watchAll({ onStatus: (s) => store.seen(s), onDeleted: (id) => store.remove(id) }), [watch, store]);
  // New sessions started elsewhere (the CLI) are not announced on the stream: look again when
  // the user comes back to the tab, at most every few seconds. No polling loop.
  useEffect(() => {
    let last = Date.now();
    const on = () => {
      if (document.visibilityState !== 'visible' || Date.now() - last < 3000) return;
      last = Date.now();
      void store.refresh();
    };
    document.addEventListener('visibilitychange', on);
    window.addEventListener('focus', on);
    return () => {
      document.removeEventListener('visibilitychange', on);
      window.removeEventListener('focus', on);
    };
  }, [store]);
  useEffect(() => {
    if (state.sessions.length) rememberProjects([...new Set(state.sessions.map((s) => s.projectPath))]);
  }, [state.sessions, rememberProjects]);
  useEffect(() => {
    if (state.errorStatus === 401) onAuthError();
  }, [state.errorStatus, onAuthError]);
  return { store, state };
}

export function basename(path: string): string {
  const parts = path.replace(/\/+$/, '').split('/');
  return parts[parts.length - 1] || path;
}

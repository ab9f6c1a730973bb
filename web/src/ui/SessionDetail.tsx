import { lazy, Suspense, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { ApiError } from '../api/http';
import { isStructured, type Session } from '../api/model';
import type { ConnectionState } from '../api/stream';
import { sessionLabel, sessionTitle } from '../data/format';
import type { SessionFeed } from '../data/sessionFeed';
import { isLive, isTerminal } from '../data/status';
import { useAck } from './Attention';
import { ChangeCounts, useNow } from './common';
import { useApp } from './context';
import { DetailHead, ErrorAlert, usePageTitle } from './detail';
import { EventsTimeline } from './EventsTimeline';
import { LiveTerminal } from './LiveTerminal';
import { PlanPage } from './PlanPage';
import { Replay } from './Replay';
import { ContinueForm, Controls } from './SessionControls';
import { href, navigate } from './router';
import { SessionStats, SessionWhat } from './SessionStats';
import { Transcript } from './Transcript';
import { useSessionFeed } from './useFeed';

const ChangesTab = lazy(() => import('./ChangesTab'));

type Tab = 'terminal' | 'transcript' | 'changes' | 'events' | 'replay';

export function SessionDetailPage({ id, tab }: { id: string; tab: string | null }) {
  const { api, onAuthError } = useApp();
  const [loaded, setLoaded] = useState<Session | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  useEffect(() => {
    let alive = true;
    api
      .session(id)
      .then((s) => alive && setLoaded(s))
      .catch((e: ApiError) => {
        if (!alive) return;
        if (e.status === 401) onAuthError();
        setLoadError(e);
      });
    return () => {
      alive = false;
    };
  }, [api, id, onAuthError]);

  // The page's own feed, opened at the end of the log. A plan has a page of its own (it has no log).
  const { feed, session, connState, streamError, error: feedError } = useSessionFeed(loaded && loaded.kind !== 'plan' ? loaded : null);

  // Opening a session that waits for the user is looking at it: the daemon clears its attention.
  useAck(session ?? loaded, feed);

  const failed = loadError ?? feedError;
  if (failed) {
    return (
      <div className="page">
        <p>
          <a href={href('/')}>← All sessions</a>
        </p>
        <ErrorAlert message={failed.status === 404 ? `No session ${id}. It may have been deleted.` : failed.message} />
      </div>
    );
  }
  if (loaded?.kind === 'plan') return <PlanPage initial={loaded} />;
  if (!session || !feed) {
    return (
      <div className="page">
        <p className="muted">Loading session…</p>
      </div>
    );
  }
  return <Detail s={session} feed={feed} tab={tab} connState={connState} streamError={streamError} />;
}

function Detail({ s, feed, tab, connState, streamError }: { s: Session; feed: SessionFeed; tab: string | null; connState: ConnectionState; streamError: string | null }) {
  const structured = isStructured(s);
  const ended = isTerminal(s.status);
  const tabs: { id: Tab; label: string }[] = [
    ...(structured ? [{ id: 'transcript' as Tab, label: 'Transcript' }] : []),
    { id: 'terminal', label: structured ? 'Raw output' : 'Terminal' },
    { id: 'changes', label: 'Changes' },
    { id: 'events', label: 'Events' },
    ...(ended ? [{ id: 'replay' as Tab, label: 'Replay' }] : []),
  ];
  const current: Tab = tabs.some((t) => t.id === tab) ? (tab as Tab) : tabs[0]!.id;
  const setTab = (t: Tab) => navigate(href(`/sessions/${s.id}`, { tab: t }), true);
  const tabRefs = useRef<Record<string, HTMLButtonElement | null>>({});
  const onTabKey = (e: KeyboardEvent) => {
    const i = tabs.findIndex((t) => t.id === current);
    const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : null;
    if (next === null) return;
    e.preventDefault();
    const t = tabs[(next + tabs.length) % tabs.length]!;
    setTab(t.id);
    tabRefs.current[t.id]?.focus();
  };
  const now = useNow(1000, isLive(s.status));
  const [continuing, setContinuing] = useState(false);
  const title = sessionLabel(s);
  usePageTitle(s.status, title);

  return (
    <div className="page detail">
      <DetailHead
        s={s}
        idLabel="Session id"
        title={title}
        subtitle={sessionTitle(s)}
        hint={s.prompt ?? undefined}
        mode={s.mode}
        connState={connState}
        controls={<Controls s={s} feed={feed} onContinue={() => setContinuing(true)} />}
      />
      {continuing && <ContinueForm s={s} onClose={() => setContinuing(false)} />}

      <ErrorAlert message={s.error} />
      <ErrorAlert message={streamError} />

      <SessionStats s={s} now={now} feed={feed} />
      <SessionWhat s={s} />

      <div className="tabs" role="tablist" aria-label="Session views" onKeyDown={onTabKey}>
        {tabs.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              tabRefs.current[t.id] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={current === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={current === t.id ? 0 : -1}
            className={`tab ${current === t.id ? 'tab-on' : ''}`}
            onClick={() => setTab(t.id)}
          >
            {t.label}
            {t.id === 'changes' && <ChangeCounts changes={s.changes} />}
          </button>
        ))}
      </div>
      <section className="panel" role="tabpanel" id={`panel-${current}`} aria-labelledby={`tab-${current}`}>
        {/* The live views stay mounted so switching tabs loses nothing. */}
        <LiveTerminal feed={feed} session={s} hidden={current !== 'terminal'} structured={structured} fit />
        {structured && <Transcript feed={feed} hidden={current !== 'transcript'} session={s} />}
        {current === 'changes' && (
          <Suspense fallback={<p className="muted">Loading…</p>}>
            <ChangesTab s={s} onSession={(u) => feed.updateSession(u)} />
          </Suspense>
        )}
        <EventsTimeline feed={feed} hidden={current !== 'events'} />
        {current === 'replay' && <Replay session={s} structured={structured} />}
      </section>
    </div>
  );
}

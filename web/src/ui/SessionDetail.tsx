import { lazy, Suspense, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { ApiError } from '../api/http';
import { isStructured, type Session } from '../api/model';
import { StreamConnection, streamUrl, type ConnectionState } from '../api/stream';
import { formatBytes, formatCost, formatTokens, sessionTitle, sessionTokens, shellQuote } from '../data/format';
import { SessionFeed } from '../data/sessionFeed';
import { isLive, isTerminal } from '../data/status';
import { ChangeCounts, useNow } from './common';
import { useApp } from './context';
import { ConversationStat, ConversationTotalStat, DetailHead, DurationStat, ErrorAlert, StartedStat, usePageTitle } from './detail';
import { EventsTimeline } from './EventsTimeline';
import { LiveTerminal } from './LiveTerminal';
import { PlanPage } from './PlanPage';
import { Replay } from './Replay';
import { ContinueForm, Controls } from './SessionControls';
import { href, navigate } from './router';
import { Transcript } from './Transcript';

const ChangesTab = lazy(() => import('./ChangesTab'));

type Tab = 'terminal' | 'transcript' | 'changes' | 'events' | 'replay';

export function SessionDetailPage({ id, tab }: { id: string; tab: string | null }) {
  const { api, token, onAuthError } = useApp();
  const [loaded, setLoaded] = useState<Session | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [feed, setFeed] = useState<SessionFeed | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [connState, setConnState] = useState<ConnectionState>('connecting');
  const [streamError, setStreamError] = useState<string | null>(null);

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

  // The page's own connection: its log subscription must not share a queue with list watches.
  // A plan has a page of its own (it has no log).
  const fullId = loaded && loaded.kind !== 'plan' ? loaded.id : null;
  const loadedRef = useRef(loaded);
  loadedRef.current = loaded;
  useEffect(() => {
    if (!fullId) return;
    const conn = new StreamConnection({ url: streamUrl(), token });
    const f = new SessionFeed(conn, fullId, loadedRef.current);
    const offState = conn.onState(setConnState);
    const off = f.listen({
      onSession: setSession,
      onError: (code, message) => setStreamError(code === 'session_not_found' ? 'This session was deleted.' : message),
    });
    setFeed(f);
    setSession(f.session);
    return () => {
      off();
      offState();
      f.dispose();
      conn.close();
      setFeed(null);
    };
  }, [fullId, token]);

  if (loadError) {
    return (
      <div className="page">
        <p>
          <a href={href('/')}>← All sessions</a>
        </p>
        <ErrorAlert message={loadError.status === 404 ? `No session ${id}. It may have been deleted.` : loadError.message} />
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
  usePageTitle(s.status, sessionTitle(s));

  return (
    <div className="page detail">
      <DetailHead
        s={s}
        idLabel="Session id"
        title={sessionTitle(s)}
        hint={s.prompt ?? undefined}
        mode={s.mode}
        connState={connState}
        controls={<Controls s={s} feed={feed} onContinue={() => setContinuing(true)} />}
      />
      {continuing && <ContinueForm s={s} onClose={() => setContinuing(false)} />}

      <ErrorAlert message={s.error} />
      <ErrorAlert message={streamError} />

      <Stats s={s} now={now} feed={feed} />

      {(s.prompt || s.command.length > 0) && (
        <div className="detail-what">
          {s.prompt && (
            <details>
              <summary>Prompt</summary>
              <pre className="prompt">{s.prompt}</pre>
            </details>
          )}
          {s.command.length > 0 && (
            <div className="command">
              <span className="muted small">Command</span> <code>{s.command.map(shellQuote).join(' ')}</code>
            </div>
          )}
        </div>
      )}

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
        <LiveTerminal feed={feed} session={s} hidden={current !== 'terminal'} structured={structured} />
        {structured && <Transcript feed={feed} hidden={current !== 'transcript'} />}
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

function Stats({ s, now, feed }: { s: Session; now: number; feed: SessionFeed }) {
  // The record's log size is as of its last status change; the stream knows better while live.
  const logBytes = Math.max(s.logBytes, feed.bytes);
  const logSeq = Math.max(s.logSeq, feed.lastSeq);
  const tokens = sessionTokens(s);
  const tokenDetail = [
    s.inputTokens != null ? `${formatTokens(s.inputTokens)} in` : null,
    s.outputTokens != null ? `${formatTokens(s.outputTokens)} out` : null,
    s.cacheReadTokens ? `${formatTokens(s.cacheReadTokens)} cache read` : null,
    s.cacheCreationTokens ? `${formatTokens(s.cacheCreationTokens)} cache write` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const exit = s.signal ? s.signal : s.exitCode !== null ? String(s.exitCode) : isTerminal(s.status) ? '—' : 'running';
  return (
    <dl className="stats">
      <StartedStat s={s} now={now} />
      <DurationStat s={s} now={now} testId="stat-duration" />
      <div>
        <dt>Exit</dt>
        <dd className={s.exitCode && s.exitCode !== 0 ? 'bad' : s.signal ? 'bad' : ''} data-testid="stat-exit" title={s.signal ? `Ended by signal ${s.signal}` : undefined}>
          {exit}
        </dd>
      </div>
      <div>
        <dt>Tokens</dt>
        <dd title={tokenDetail}>
          {formatTokens(tokens)}
          {tokenDetail && <span className="stat-detail">{tokenDetail}</span>}
        </dd>
      </div>
      <div>
        <dt>Cost</dt>
        <dd>{formatCost(s.costUsd)}</dd>
      </div>
      {s.numTurns != null && (
        <div>
          <dt>Turns</dt>
          <dd>{s.numTurns}</dd>
        </div>
      )}
      {s.conversation && (s.conversation.costUsd !== s.costUsd || s.conversation.tokenCount !== tokens) && (
        <ConversationTotalStat total={s.conversation} hint="The whole agent conversation, earlier sessions included" />
      )}
      <ConversationStat id={s.agentSessionId} missing="No agent conversation id" />
      <div>
        <dt>Output</dt>
        <dd>
          {formatBytes(logBytes)}
          <span className="stat-detail">{logSeq.toLocaleString()} chunks</span>
        </dd>
      </div>
      {s.pid != null && (
        <div>
          <dt>PID</dt>
          <dd>{s.pid}</dd>
        </div>
      )}
      {s.parentId && (
        <div>
          <dt>{s.position !== null ? `Plan · task ${s.position + 1}` : 'Parent'}</dt>
          <dd>
            <a href={href(`/sessions/${s.parentId}`)}>{s.parentId.slice(0, 13)}</a>
          </dd>
        </div>
      )}
    </dl>
  );
}

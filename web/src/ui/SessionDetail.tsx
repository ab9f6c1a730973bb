import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { ApiError } from '../api/http';
import { isStructured, type Session } from '../api/model';
import { StreamConnection, streamUrl, type ConnectionState } from '../api/stream';
import {
  absoluteTime,
  formatBytes,
  formatCost,
  formatDuration,
  formatTokens,
  relativeTime,
  sessionDuration,
  sessionTitle,
  sessionTokens,
  shellQuote,
} from '../data/format';
import { SessionFeed } from '../data/sessionFeed';
import { actionsFor, isLive, isTerminal, type Action } from '../data/status';
import { basename, SpecChips, StatusBadge, useNow } from './common';
import { useApp } from './context';
import { EventsTimeline } from './EventsTimeline';
import { LiveTerminal } from './LiveTerminal';
import { PlanPage } from './PlanPage';
import { Replay } from './Replay';
import { href, navigate } from './router';
import { Transcript } from './Transcript';

type Tab = 'terminal' | 'transcript' | 'events' | 'replay';

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
        <div className="alert alert-error" role="alert">
          {loadError.status === 404 ? `No session ${id}. It may have been deleted.` : loadError.message}
        </div>
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
  useEffect(() => {
    document.title = `${s.status} · ${sessionTitle(s)} — agentmux`;
    return () => {
      document.title = 'agentmux';
    };
  }, [s]);

  return (
    <div className="page detail">
      <nav className="crumbs" aria-label="Breadcrumb">
        <a href={href('/')}>← All sessions</a>
      </nav>
      <header className="detail-head">
        <div className="detail-title">
          <div className="detail-title-row">
            <StatusBadge status={s.status} />
            <h1 title={s.prompt ?? undefined}>{sessionTitle(s)}</h1>
          </div>
          <div className="detail-sub">
            <code className="id" title="Session id">
              {s.id}
            </code>
            <span className="tool">{s.tool}</span>
            <span className="mode">{s.mode}</span>
            <SpecChips ids={s.specIds} max={8} />
            <a className="project" href={href('/specs', { project: s.projectPath })} title={`Specs of ${s.projectPath}`}>
              {s.projectPath}
            </a>
            {connState !== 'open' && !ended && (
              <span className="conn-inline" role="status">
                {connState === 'reconnecting' ? 'Reconnecting…' : 'Connecting…'}
              </span>
            )}
          </div>
        </div>
        <Controls s={s} feed={feed} onContinue={() => setContinuing(true)} />
      </header>
      {continuing && <ContinueForm s={s} onClose={() => setContinuing(false)} />}

      {s.error && (
        <div className="alert alert-error" role="alert">
          {s.error}
        </div>
      )}
      {streamError && (
        <div className="alert alert-error" role="alert">
          {streamError}
        </div>
      )}

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
          </button>
        ))}
      </div>
      <section className="panel" role="tabpanel" id={`panel-${current}`} aria-labelledby={`tab-${current}`}>
        {/* The live views stay mounted so switching tabs loses nothing. */}
        <LiveTerminal feed={feed} session={s} hidden={current !== 'terminal'} structured={structured} />
        {structured && <Transcript feed={feed} hidden={current !== 'transcript'} />}
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
      <div>
        <dt>Started</dt>
        <dd title={absoluteTime(s.startedAt)}>{s.startedAt ? relativeTime(s.startedAt, now) : 'not started'}</dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd data-testid="stat-duration">{formatDuration(sessionDuration(s, now))}</dd>
      </div>
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
        <div className="stat-medium" title="The whole agent conversation, earlier sessions included">
          <dt>Conversation total</dt>
          <dd>
            {formatCost(s.conversation.costUsd)}
            <span className="stat-detail">{formatTokens(s.conversation.tokenCount)} tokens</span>
          </dd>
        </div>
      )}
      <div className={s.agentSessionId ? 'stat-wide' : ''}>
        <dt>Conversation</dt>
        <dd title={s.agentSessionId ?? 'No agent conversation id'}>{s.agentSessionId ? <code>{s.agentSessionId}</code> : <span className="muted">—</span>}</dd>
      </div>
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

const ACTION_LABEL: Record<Action, string> = {
  start: '▶ Start',
  pause: '❚❚ Pause',
  resume: '▶ Resume',
  stop: '■ Stop',
  continue: '↪ Continue',
  retry: '↻ Retry',
  delete: 'Delete',
};

/** A new session that resumes this one's agent conversation with a new prompt. */
function ContinueForm({ s, onClose }: { s: Session; onClose: () => void }) {
  const { api, notify } = useApp();
  const [prompt, setPrompt] = useState('');
  const [fresh, setFresh] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      className="continue"
      aria-label="Continue the conversation"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        api
          .continueConversation(s.id, { prompt, fallback: fresh ? 'fresh' : 'none' })
          .then((created) => {
            notify(`Continuing the conversation in ${created.id.slice(0, 13)}`);
            navigate(href(`/sessions/${created.id}`));
          })
          .catch((err: Error) => setError(err.message))
          .finally(() => setBusy(false));
      }}
    >
      <label className="field">
        <span>
          Continue the conversation <span className="muted small">{s.agentSessionId}</span>
        </span>
        <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={3} required autoFocus placeholder="Now also add tests for it" />
      </label>
      <label className="check small">
        <input type="checkbox" checked={fresh} onChange={(e) => setFresh(e.target.checked)} /> If the agent lost the conversation, start a fresh one with
        the earlier context
      </label>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      <div className="continue-actions">
        <button type="button" className="btn btn-ghost" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy || !prompt.trim()}>
          {busy ? 'Starting…' : 'Continue'}
        </button>
      </div>
    </form>
  );
}

function Controls({ s, feed, onContinue }: { s: Session; feed: SessionFeed; onContinue: () => void }) {
  const { api, notify } = useApp();
  const [busy, setBusy] = useState<Action | null>(null);
  const [stopping, setStopping] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);

  useEffect(() => {
    if (isTerminal(s.status)) setStopping(false);
  }, [s.status]);

  const run = async (a: Action) => {
    if (a === 'delete' && !confirmDelete) {
      setConfirmDelete(true);
      return;
    }
    if (a === 'continue') {
      onContinue();
      return;
    }
    setBusy(a);
    try {
      switch (a) {
        case 'start':
          feed.updateSession(await api.start(s.id));
          break;
        case 'pause':
          feed.updateSession(await api.pause(s.id));
          break;
        case 'resume':
          feed.updateSession(await api.resume(s.id));
          break;
        case 'stop':
          setStopping(true);
          feed.updateSession(await api.stop(s.id));
          break;
        case 'retry': {
          const created = await api.retry(s.id);
          notify(`Started a new session with the same settings (${created.id.slice(0, 13)})`);
          navigate(href(`/sessions/${created.id}`));
          break;
        }
        case 'delete':
          await api.remove(s.id);
          notify(`Deleted session ${s.id.slice(0, 13)} (${basename(s.projectPath)})`);
          navigate(href('/'));
          break;
      }
    } catch (e) {
      if (a === 'stop') setStopping(false);
      notify((e as Error).message, 'error');
    } finally {
      setBusy(null);
      if (a === 'delete') setConfirmDelete(false);
    }
  };

  const actions = actionsFor(s);
  return (
    <div className="controls" role="group" aria-label="Session controls">
      {stopping && !isTerminal(s.status) && (
        <span className="muted small" role="status">
          Stopping…
        </span>
      )}
      {actions.map((a) =>
        a === 'delete' && confirmDelete ? (
          <span key={a} className="confirm" role="group" aria-label="Confirm delete">
            <span className="small">Delete its logs and events?</span>
            <button type="button" className="btn btn-danger" onClick={() => void run('delete')} disabled={busy !== null} autoFocus>
              Delete
            </button>
            <button type="button" className="btn btn-ghost" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <button
            key={a}
            type="button"
            className={`btn ${a === 'stop' ? 'btn-danger' : a === 'delete' ? 'btn-ghost btn-danger-text' : a === 'retry' || a === 'resume' || a === 'start' || a === 'continue' ? 'btn-primary' : ''}`}
            onClick={() => void run(a)}
            disabled={busy !== null || (a === 'stop' && stopping)}
            data-action={a}
          >
            {busy === a ? '…' : ACTION_LABEL[a]}
          </button>
        ),
      )}
    </div>
  );
}

import { useEffect, useMemo, useState } from 'react';
import type { SessionFilter } from '../api/http';
import { SESSION_STATUSES, type SessionStatus } from '../api/wire';
import type { Session } from '../api/model';
import { absoluteTime, formatCost, formatDuration, formatTokens, relativeTime, sessionDuration, sessionTitle, sessionTokens, shortId } from '../data/format';
import { childInfo, childLabel, groupPlans, planProgress, planTitle } from '../data/planTree';
import { STATUS_LABEL, isLive, isTerminal } from '../data/status';
import { basename, ChangeCounts, SpecChips, StatusBadge, useNow, useSessionList } from './common';
import { useApp } from './context';
import { href, navigate } from './router';

const FILTER_KEYS = ['status', 'tool', 'spec', 'project'] as const;

export function SessionsPage({ query }: { query: URLSearchParams }) {
  const { openCreate, tools, knownProjects } = useApp();
  // Plans fold their tasks; open while they run, closed once ended, unless toggled here.
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const filter: SessionFilter = useMemo(
    () => ({
      status: (query.get('status') as SessionStatus | null) ?? '',
      tool: query.get('tool') ?? '',
      spec: query.get('spec') ?? '',
      project: query.get('project') ?? '',
    }),
    [query],
  );
  const { store, state } = useSessionList(filter);
  const anyLive = state.sessions.some((s) => isLive(s.status));
  const now = useNow(1000, anyLive);
  const [toolNames, setToolNames] = useState<string[]>([]);
  useEffect(() => {
    tools()
      .then((t) => setToolNames(t.map((x) => x.name)))
      .catch(() => {});
  }, [tools]);

  const projects = useMemo(
    () => [...new Set([...state.sessions.map((s) => s.projectPath), ...knownProjects(), filter.project ?? ''].filter(Boolean))],
    [state.sessions, knownProjects, filter.project],
  );
  const allTools = [...new Set([...toolNames, ...state.sessions.map((s) => s.tool), filter.tool ?? ''].filter(Boolean))];
  const filtered = FILTER_KEYS.some((k) => filter[k]);

  const setFilter = (k: (typeof FILTER_KEYS)[number], v: string) => {
    const next: Record<string, string> = {};
    for (const key of FILTER_KEYS) next[key] = (key === k ? v : (filter[key] ?? '')) as string;
    navigate(href('/', next), true);
  };

  const rows = useMemo(() => groupPlans(state.sessions), [state.sessions]);

  const counts = useMemo(() => {
    const c: Partial<Record<SessionStatus, number>> = {};
    for (const s of state.sessions) c[s.status] = (c[s.status] ?? 0) + 1;
    return c;
  }, [state.sessions]);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Sessions</h1>
        <p className="muted summary" aria-live="polite">
          {state.loading && !state.sessions.length
            ? 'Loading…'
            : `${state.sessions.length}${state.nextCursor ? '+' : ''} shown` +
              (counts.running ? ` · ${counts.running} running` : '') +
              (counts.paused ? ` · ${counts.paused} paused` : '')}
        </p>
      </div>

      <form className="filters" role="search" aria-label="Filter sessions" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>Status</span>
          <select value={filter.status} onChange={(e) => setFilter('status', e.target.value)}>
            <option value="">Any</option>
            {SESSION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Tool</span>
          <select value={filter.tool} onChange={(e) => setFilter('tool', e.target.value)}>
            <option value="">Any</option>
            {allTools.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Spec</span>
          <SpecFilterInput value={filter.spec ?? ''} onCommit={(v) => setFilter('spec', v)} />
        </label>
        <label className="filter-project">
          <span>Project</span>
          <select value={filter.project} onChange={(e) => setFilter('project', e.target.value)}>
            <option value="">Any</option>
            {projects.map((p) => (
              <option key={p} value={p} title={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        {filtered && (
          <button type="button" className="btn btn-ghost" onClick={() => navigate(href('/'), true)}>
            Clear filters
          </button>
        )}
      </form>

      {state.error && (
        <div className="alert alert-error" role="alert">
          {state.error}{' '}
          <button type="button" className="btn btn-small" onClick={() => void store.refresh()}>
            Try again
          </button>
        </div>
      )}

      {!state.loading && !state.error && state.sessions.length === 0 &&
        (filtered ? (
          <div className="empty">
            <h2>No sessions match these filters</h2>
            <button type="button" className="btn" onClick={() => navigate(href('/'), true)}>
              Clear filters
            </button>
          </div>
        ) : (
          <EmptyState onNew={() => openCreate({})} />
        ))}

      {state.sessions.length > 0 && (
        <table className="sessions" aria-label="Sessions">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Session</th>
              <th scope="col">Tool</th>
              <th scope="col">Started</th>
              <th scope="col" className="num">
                Duration
              </th>
              <th scope="col" className="num">
                Tokens
              </th>
              <th scope="col" className="num">
                Cost
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ session: s, children }) => {
              if (s.kind !== 'plan') return <SessionRow key={s.id} s={s} now={now} />;
              const open = toggled[s.id] ?? !isTerminal(s.status);
              return [
                <SessionRow key={s.id} s={s} now={now} plan={{ open, count: children.length, toggle: () => setToggled((t) => ({ ...t, [s.id]: !open })) }} />,
                ...(open ? children.map((c) => <SessionRow key={c.id} s={c} now={now} parent={s} />) : []),
              ];
            })}
          </tbody>
        </table>
      )}

      {state.nextCursor && (
        <div className="more">
          <button type="button" className="btn" disabled={state.loading} onClick={() => void store.loadMore()}>
            {state.loading ? 'Loading…' : 'Load older sessions'}
          </button>
        </div>
      )}
    </div>
  );
}

function SpecFilterInput({ value, onCommit }: { value: string; onCommit: (v: string) => void }) {
  const [v, setV] = useState(value);
  useEffect(() => setV(value), [value]);
  return (
    <input
      type="search"
      placeholder="e.g. 028"
      value={v}
      size={10}
      onChange={(e) => setV(e.target.value)}
      onBlur={() => v.trim() !== value && onCommit(v.trim())}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          onCommit(v.trim());
        }
      }}
    />
  );
}

interface PlanToggle {
  open: boolean;
  count: number;
  toggle: () => void;
}

/** A session's row; a plan's has a disclosure toggle, a plan's task is indented under it. */
function SessionRow({ s, now, plan, parent }: { s: Session; now: number; plan?: PlanToggle; parent?: Session }) {
  const link = href(`/sessions/${s.id}`);
  const dur = sessionDuration(s, now);
  const isPlan = s.kind === 'plan';
  return (
    <tr
      className={`row row-${s.status}${isPlan ? ' row-plan' : ''}${parent ? ' row-child' : ''}`}
      data-session-id={s.id}
      data-parent-id={parent?.id}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('a, button')) return;
        navigate(link);
      }}
    >
      <td className="col-status">
        <StatusBadge status={s.status} />
      </td>
      <td className="col-main">
        <div className="row-head">
          {plan && (
            <button
              type="button"
              className="btn btn-ghost btn-small disclosure"
              aria-expanded={plan.open}
              aria-label={`${plan.open ? 'Hide' : 'Show'} the ${plan.count} sessions of plan ${planTitle(s)}`}
              title={plan.open ? 'Hide its tasks' : 'Show its tasks'}
              onClick={plan.toggle}
              data-testid="plan-toggle"
            >
              <span aria-hidden="true">{plan.open ? '▾' : '▸'}</span>
            </button>
          )}
          {parent && (
            <span className={`child-tag child-${s.metadata.plan_role ?? 'task'}`} data-testid="child-label">
              {childLabel(childInfo(s, parent))}
            </span>
          )}
          {isPlan && <span className="plan-tag">Plan</span>}
          <a href={link} className="row-title">
            {isPlan ? planTitle(s) : sessionTitle(s)}
          </a>
        </div>
        <div className="row-sub">
          <code className="id">{shortId(s.id)}</code>
          {isPlan && <span className="plan-progress">{planProgress(s)}</span>}
          <SpecChips ids={s.specIds} />
          {!parent && (
            <span className="project" title={s.projectPath}>
              {basename(s.projectPath)}
            </span>
          )}
          <ChangeCounts changes={s.changes} />
          {s.worktree && (
            <span className={`wt-tag wt-${s.worktree.state}`} title={`Worktree on ${s.worktree.branch} (${s.worktree.state})`}>
              ⎇ {s.worktree.branch.replace(/^agentmux\//, '')}
            </span>
          )}
          {s.exitCode !== null && s.exitCode !== 0 && <span className="exit-bad">exit {s.exitCode}</span>}
          {s.signal && <span className="exit-bad">{s.signal}</span>}
          {s.parentId && !parent && (
            <span className="muted" title={`${s.position !== null ? 'A task of plan' : 'Started from session'} ${s.parentId}`}>
              ↳ {s.position !== null ? `task ${s.position + 1} of plan` : 'from'} {shortId(s.parentId)}
            </span>
          )}
        </div>
      </td>
      <td className="col-tool">
        <span className="tool">{s.tool}</span>
        <span className="mode">{isPlan ? 'plan' : s.mode}</span>
      </td>
      <td className="col-started" title={absoluteTime(s.startedAt ?? s.createdAt)}>
        <span className="label-mobile">Started </span>
        {s.startedAt ? relativeTime(s.startedAt, now) : <span className="muted">not started · {relativeTime(s.createdAt, now)}</span>}
      </td>
      <td className="num col-duration">
        <span className="label-mobile">Duration </span>
        {formatDuration(dur)}
      </td>
      <td className="num col-tokens">
        <span className="label-mobile">Tokens </span>
        {formatTokens(sessionTokens(s))}
      </td>
      <td className="num col-cost">
        <span className="label-mobile">Cost </span>
        {formatCost(s.costUsd)}
      </td>
    </tr>
  );
}

function EmptyState({ onNew }: { onNew: () => void }) {
  return (
    <section className="empty empty-first" aria-labelledby="empty-title">
      <h2 id="empty-title">No sessions yet</h2>
      <p>
        A session is one run of an agent (or any command) on a project, kept with every byte it printed, its events, tokens and cost.
        Start one here, or from a terminal — it shows up here either way.
      </p>
      <button type="button" className="btn btn-primary" onClick={onNew}>
        + New session
      </button>
      <div className="empty-cli">
        <p className="muted">From a terminal:</p>
        <pre>
          <code>
            {`agentmux run -- make test                 # any command, under a PTY
agentmux run --tool claude --spec 028 --prompt "fix the lint errors"
agentmux run -d --mode guided -- bash     # detached, interactive`}
          </code>
        </pre>
      </div>
    </section>
  );
}

// The sessions list: filters and a search box, sessions that need the user first, plans folded
// with their tasks, live statuses; j/k/Enter, / and ? from the keyboard (ListKeys.tsx).
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { SessionFilter } from '../api/http';
import { SESSION_STATUSES, type SessionStatus } from '../api/wire';
import { sortByAttention } from '../data/attention';
import { moveSelection, searchRows } from '../data/listNav';
import { groupPlans } from '../data/planTree';
import { STATUS_LABEL, isLive, isTerminal } from '../data/status';
import { useNow, useSessionList } from './common';
import { useApp } from './context';
import { KeysHelp, useListKeys } from './ListKeys';
import { href, navigate } from './router';
import { EmptyState, SessionRow } from './SessionRow';

const FILTER_KEYS = ['status', 'tool', 'spec', 'project'] as const;
/** The URL's query from the filters, the search and "needs you", one of them changed. */
type Query = Partial<Record<(typeof FILTER_KEYS)[number] | 'q' | 'attention', string>>;

export function SessionsPage({ query }: { query: URLSearchParams }) {
  const { openCreate, tools, knownProjects, attention } = useApp();
  const needing = useSyncExternalStore(attention.subscribe, attention.getSnapshot).length;
  // Plans fold their tasks; open while they run, closed once ended, unless toggled here.
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const filter: SessionFilter = useMemo(
    () => ({
      status: (query.get('status') as SessionStatus | null) ?? '',
      tool: query.get('tool') ?? '',
      spec: query.get('spec') ?? '',
      project: query.get('project') ?? '',
      attention: query.get('attention') === '1',
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
  const filtered = FILTER_KEYS.some((k) => filter[k]) || filter.attention === true;

  const setQuery = (change: Query) => {
    const next: Query = { q: query.get('q') ?? '', attention: query.get('attention') ?? '' };
    for (const key of FILTER_KEYS) next[key] = filter[key] ?? '';
    navigate(href('/', { ...next, ...change }), true);
  };
  const setFilter = (k: (typeof FILTER_KEYS)[number], v: string) => setQuery({ [k]: v });

  // Needing the user first, then running, then the rest (newest first within each); the search
  // box narrows them (by name, id, prompt, tool, project).
  const search = query.get('q') ?? '';
  const rows = useMemo(
    () => searchRows(sortByAttention(groupPlans(state.sessions), (r) => [r.session, ...r.children]), search),
    [state.sessions, search],
  );
  const isOpen = (s: (typeof rows)[number]['session']) => toggled[s.id] ?? !isTerminal(s.status);
  const shownIds = rows.flatMap((r) => [r.session.id, ...(r.session.kind === 'plan' && isOpen(r.session) ? r.children.map((c) => c.id) : [])]);
  const [selected, setSelected] = useState<string | null>(null);
  const [help, setHelp] = useState(false);
  const searchBox = useRef<HTMLInputElement>(null);
  useListKeys((k, target) => {
    if (k === 'help') setHelp(true);
    else if (k === 'close') {
      if (help) setHelp(false);
      else if (target === searchBox.current) searchBox.current?.blur();
    } else if (help) return;
    else if (k === 'search') searchBox.current?.focus();
    else if (k === 'down' || k === 'up') setSelected((cur) => moveSelection(shownIds, cur, k === 'down' ? 1 : -1));
    else if (k === 'open' && selected && shownIds.includes(selected)) navigate(href(`/sessions/${selected}`));
  });
  useEffect(() => {
    if (selected) document.querySelector(`tr[data-session-id="${CSS.escape(selected)}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  const setSearch = (q: string) => setQuery({ q });

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
        <label className="filter-search">
          <span>Search</span>
          <input
            ref={searchBox}
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder="name, id, prompt, tool…"
            aria-keyshortcuts="/"
            data-testid="search"
          />
        </label>
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
        <button
          type="button"
          className={`btn needs-you ${filter.attention ? 'btn-on' : ''}`}
          aria-pressed={filter.attention}
          onClick={() => setQuery({ attention: filter.attention ? '' : '1' })}
          title="Only sessions waiting for you: input, a permission question, or ended and not looked at"
          data-testid="needs-you"
        >
          Needs you{needing ? ` (${needing})` : ''}
        </button>
        {(filtered || search) && (
          <button type="button" className="btn btn-ghost" onClick={() => navigate(href('/'), true)}>
            Clear filters
          </button>
        )}
        <button type="button" className="btn btn-ghost keys-button" onClick={() => setHelp(true)} title="Keyboard shortcuts (?)" aria-keyshortcuts="?">
          <kbd>?</kbd>
        </button>
      </form>
      {help && <KeysHelp onClose={() => setHelp(false)} />}

      {state.error && (
        <div className="alert alert-error" role="alert">
          {state.error}{' '}
          <button type="button" className="btn btn-small" onClick={() => void store.refresh()}>
            Try again
          </button>
        </div>
      )}

      {search && rows.length === 0 && state.sessions.length > 0 && (
        <div className="empty">
          <h2>No session matches “{search}”</h2>
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

      {rows.length > 0 && (
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
              if (s.kind !== 'plan') return <SessionRow key={s.id} s={s} now={now} selected={selected === s.id} />;
              const open = isOpen(s);
              return [
                <SessionRow key={s.id} s={s} now={now} selected={selected === s.id} plan={{ open, count: children.length, toggle: () => setToggled((t) => ({ ...t, [s.id]: !open })) }} />,
                ...(open ? children.map((c) => <SessionRow key={c.id} s={c} now={now} parent={s} selected={selected === c.id} />) : []),
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

// A project's specs (LeanSpec layout) with the sessions that worked on each, and "New session"
// prefilled with the spec.
import { useEffect, useMemo, useState } from 'react';
import type { Session, Spec } from '../api/model';
import { relativeTime, specMatches } from '../data/format';
import { STATUS_LABEL, isLive } from '../data/status';
import { StatusBadge, useNow, useSessionList } from './common';
import { useApp } from './context';
import { href, navigate } from './router';

export function SpecsPage({ project }: { project: string }) {
  const { api, openCreate, knownProjects } = useApp();
  const projects = useMemo(() => knownProjects(), [knownProjects]);
  const [draft, setDraft] = useState(project);
  useEffect(() => setDraft(project), [project]);
  // With no project chosen yet, take the most recent one we know of.
  useEffect(() => {
    if (!project && projects[0]) navigate(href('/specs', { project: projects[0] }), true);
  }, [project, projects]);

  const [specs, setSpecs] = useState<Spec[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setSpecs(null);
    setError(null);
    if (!project) return;
    let alive = true;
    api
      .specs(project)
      .then((r) => alive && setSpecs(r.specs))
      .catch((e: Error) => alive && setError(e.message));
    return () => {
      alive = false;
    };
  }, [api, project]);

  const { state } = useSessionList(project ? { project, limit: 1000 } : null);
  const anyLive = state.sessions.some((s) => isLive(s.status));
  const now = useNow(5000, anyLive);

  // Sessions per spec, oldest first, so "Session #1" is the first attempt.
  const bySpec = useMemo(() => {
    const m = new Map<string, Session[]>();
    for (const sp of specs ?? []) m.set(sp.id, []);
    const oldestFirst = [...state.sessions].reverse();
    for (const s of oldestFirst)
      for (const sp of specs ?? []) if (s.specIds.some((id) => specMatches(id, sp.id))) m.get(sp.id)!.push(s);
    return m;
  }, [specs, state.sessions]);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Specs</h1>
      </div>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(href('/specs', { project: draft.trim() }), true);
        }}
      >
        <label className="filter-project grow">
          <span>Project</span>
          <input type="text" value={draft} onChange={(e) => setDraft(e.target.value)} list="spec-projects" placeholder="/path/to/project" spellCheck={false} />
          <datalist id="spec-projects">
            {projects.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </label>
        <button type="submit" className="btn">
          Show specs
        </button>
      </form>

      {!project && (
        <div className="empty">
          <h2>Pick a project</h2>
          <p>Type the absolute path of a project with a LeanSpec <code>specs/</code> folder (for example <code>specs/028-cli-ui/README.md</code>).</p>
        </div>
      )}
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {project && specs === null && !error && <p className="muted">Loading specs…</p>}
      {specs && specs.length === 0 && (
        <div className="empty">
          <h2>No specs in this project</h2>
          <p>
            agentmux looks for <code>{project}/specs/NNN-name/README.md</code> or <code>specs/NNN-name.md</code>.
          </p>
          <button type="button" className="btn btn-primary" onClick={() => openCreate({ projectPath: project })}>
            + New session without a spec
          </button>
        </div>
      )}
      {specs && specs.length > 0 && (
        <ul className="spec-cards">
          {specs.map((sp) => {
            const sessions = bySpec.get(sp.id) ?? [];
            return (
              <li key={sp.id} className="spec-card" data-spec-id={sp.id}>
                <div className="spec-card-head">
                  <div>
                    <span className="chip">{sp.id}</span>
                    {sp.status && <span className={`spec-status spec-status-${sp.status}`}>{sp.status}</span>}
                  </div>
                  <h2>{sp.title}</h2>
                  <code className="muted small spec-path">{sp.path}</code>
                </div>
                <div className="spec-card-sessions">
                  <h3 className="visually-hidden">Sessions for {sp.id}</h3>
                  {sessions.length === 0 ? (
                    <p className="muted small">No sessions yet.</p>
                  ) : (
                    <ol className="spec-sessions">
                      {[...sessions].reverse().map((s) => {
                        const n = sessions.indexOf(s) + 1;
                        return (
                          <li key={s.id}>
                            <a href={href(`/sessions/${s.id}`)} aria-label={`Session #${n} · ${s.tool} · ${STATUS_LABEL[s.status]}`}>
                              <span className="spec-session-n">Session #{n}</span>
                              <span className="tool">{s.tool}</span>
                              <StatusBadge status={s.status} />
                              <span className="muted small">{relativeTime(s.startedAt ?? s.createdAt, now)}</span>
                            </a>
                          </li>
                        );
                      })}
                    </ol>
                  )}
                </div>
                <button type="button" className="btn btn-primary btn-small" onClick={() => openCreate({ projectPath: project, specIds: [sp.id] })}>
                  + New session
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

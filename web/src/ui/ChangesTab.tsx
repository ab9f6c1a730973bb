// The session page's Changes tab: what the session changed in its project (the diff), its
// checkpoints (restore any of them), and for a session run in a git worktree its branch with
// Merge and Discard. Loaded when the tab opens, again when the session's status or worktree
// changes, and after each action here. Loaded lazily (the diff viewer is a chunk of its own).
import { useCallback, useEffect, useState } from 'react';
import { ApiError, type Api } from '../api/http';
import type { Checkpoint, Diff, Session } from '../api/model';
import { diffCaption, diffState, discardedState, shortCommit, worktreeActions, type DiffState } from '../data/changes';
import { isLive } from '../data/status';
import { CheckpointTimeline } from './Checkpoints';
import { useApp } from './context';
import { DiffView } from './DiffView';

export default function ChangesTab({ s, onSession }: { s: Session; onSession: (s: Session) => void }) {
  const { api } = useApp();
  const [diff, setDiff] = useState<Diff | null>(null);
  const [diffError, setDiffError] = useState<DiffState | null>(null);
  const [checkpoints, setCheckpoints] = useState<Checkpoint[] | null>(null);
  const [cpError, setCpError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);

  // What can change what the daemon answers: the status (the after checkpoint), the worktree, the counts.
  const key = `${s.status}|${s.worktree?.state ?? ''}|${s.changes ? `${s.changes.files}/${s.changes.additions}/${s.changes.deletions}` : ''}`;
  const gone = discardedState(s);
  useEffect(() => {
    let alive = true;
    setLoading(true);
    void Promise.allSettled([
      (gone ? Promise.reject(new ApiError(409, 'worktree_gone', gone.message)) : api.diff(s.id)).then(
        (d) => alive && (setDiff(d), setDiffError(null)),
        (e: ApiError) => alive && (setDiff(null), setDiffError(diffState(e.code, e.message))),
      ),
      api.checkpoints(s.id).then(
        (c) => alive && (setCheckpoints(c), setCpError(null)),
        (e: ApiError) => alive && (setCheckpoints(null), setCpError(e.message)),
      ),
    ]).then(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
    // `gone` follows `key` (the worktree's state).
  }, [api, s.id, key, version]);

  return (
    <div className="changes" data-testid="changes">
      <div className="changes-main">
        <div className="changes-bar">
          <h3>What it changed</h3>
          {isLive(s.status) && <span className="muted small">so far — the session is still running</span>}
          <span className="spacer" />
          <button type="button" className="btn btn-small" onClick={reload} disabled={loading} data-testid="changes-refresh">
            {loading ? 'Loading…' : 'Refresh'}
          </button>
        </div>
        {!diffError && <p className="muted small changes-caption">{diffCaption(s)}</p>}
        {diffError ? <DiffEmpty state={diffError} /> : diff ? <DiffView diff={diff} /> : <p className="muted">Loading the diff…</p>}
      </div>
      <aside className="changes-side" aria-label="Worktree and checkpoints">
        {s.worktree && <WorktreeCard s={s} api={api} onSession={onSession} onChanged={reload} />}
        <CheckpointTimeline s={s} checkpoints={checkpoints} error={cpError} onChanged={reload} />
      </aside>
    </div>
  );
}

function DiffEmpty({ state }: { state: DiffState }) {
  const title = {
    not_git: 'Not a git repository',
    no_checkpoints: 'Nothing to compare yet',
    gone: 'Discarded',
    error: 'Could not load the diff',
  }[state.kind];
  return (
    <div className={`diff-empty ${state.kind === 'error' ? 'diff-empty-error' : ''}`} data-testid="diff-empty" data-state={state.kind} role={state.kind === 'error' ? 'alert' : undefined}>
      <p>
        <strong>{title}</strong>
      </p>
      <p className="muted">{state.message}</p>
      {state.kind === 'not_git' && <p className="muted small">Checkpoints and diffs need the project to be a git repository (git init).</p>}
    </div>
  );
}

/** The worktree's branch and base, and Merge / Discard (with a confirmation). */
function WorktreeCard({ s, api, onSession, onChanged }: { s: Session; api: Api; onSession: (s: Session) => void; onChanged: () => void }) {
  const { notify } = useApp();
  const w = s.worktree!;
  const can = worktreeActions(s);
  const [busy, setBusy] = useState<'merge' | 'discard' | null>(null);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const act = async (what: 'merge' | 'discard') => {
    setBusy(what);
    setError(null);
    try {
      if (what === 'merge') {
        const r = await api.merge(s.id);
        notify(`Merged ${r.branch || w.branch} into the project's branch (${r.fastForward ? 'fast-forward' : 'merge commit'} ${shortCommit(r.commit)})`);
      } else {
        await api.discard(s.id);
        notify(`Discarded the worktree and branch ${w.branch}`);
        setConfirmDiscard(false);
      }
      const next = await api.session(s.id);
      onSession(next);
      // A new worktree state reloads the tab by itself.
      if (next.worktree?.state === w.state) onChanged();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', (e as Error).message));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card worktree" aria-labelledby="worktree-title" data-testid="worktree" data-state={w.state}>
      <h3 id="worktree-title">
        Worktree <span className={`wt-state wt-${w.state}`}>{w.state}</span>
      </h3>
      <dl className="wt-facts">
        <dt>Branch</dt>
        <dd>
          <code data-testid="worktree-branch">{w.branch}</code>
        </dd>
        <dt>Base</dt>
        <dd>
          <code title={w.baseCommit}>{shortCommit(w.baseCommit)}</code>
        </dd>
        <dt>Path</dt>
        <dd>
          <code className="wt-path" title={w.path}>
            <span dir="ltr">{w.path}</span>
          </code>
        </dd>
      </dl>
      {can.why && <p className="muted small">{can.why}</p>}
      {w.state === 'active' && (
        <div className="wt-actions">
          {confirmDiscard ? (
            <span className="confirm" role="group" aria-label="Confirm discard">
              <span className="small">Remove the worktree and branch {w.branch}? What it changed is lost.</span>
              <button type="button" className="btn btn-danger btn-small" onClick={() => void act('discard')} disabled={busy !== null} autoFocus data-testid="discard-confirm">
                {busy === 'discard' ? '…' : 'Discard'}
              </button>
              <button type="button" className="btn btn-ghost btn-small" onClick={() => setConfirmDiscard(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <>
              <button type="button" className="btn btn-primary btn-small" onClick={() => void act('merge')} disabled={!can.merge || busy !== null} data-testid="merge">
                {busy === 'merge' ? 'Merging…' : 'Merge into the project'}
              </button>
              <button type="button" className="btn btn-small btn-danger-text" onClick={() => (setError(null), setConfirmDiscard(true))} disabled={!can.discard || busy !== null} data-testid="discard">
                Discard
              </button>
            </>
          )}
        </div>
      )}
      {error && (
        <p className="alert alert-error small wt-error" role="alert" data-testid="worktree-error" data-code={error.code}>
          {error.code === 'merge_conflict' && <strong>Merge conflict. </strong>}
          {error.message}
        </p>
      )}
    </section>
  );
}

// A session's checkpoint timeline (GET /api/sessions/:id/checkpoints, oldest first): kind, time,
// message, files changed, conversation; "Checkpoint now" with an optional message; "Restore" per
// checkpoint through a dialog that says what will change, can continue the conversation from
// there, and shows the daemon's 409s (session_running, worktree_gone).
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/http';
import type { Checkpoint, Session } from '../api/model';
import { absoluteTime } from '../data/format';
import { checkpointLabel, clockTime, KIND_HINT, restoreBody, restoreQuestion, shortCommit } from '../data/changes';
import { useApp } from './context';
import { CodeInput, Dialog, FormError } from './dialog';
import { href, navigate } from './router';

export function CheckpointTimeline({
  s,
  checkpoints,
  error,
  onChanged,
}: {
  s: Session;
  checkpoints: Checkpoint[] | null;
  error: string | null;
  onChanged: () => void;
}) {
  const [restoring, setRestoring] = useState<Checkpoint | null>(null);
  // Newest first on screen: the latest state is what one looks for.
  const shown = checkpoints ? [...checkpoints].reverse() : null;
  return (
    <section className="card checkpoints" aria-labelledby="checkpoints-title" data-testid="checkpoints">
      <h3 id="checkpoints-title">Checkpoints</h3>
      <CheckpointNow s={s} onDone={onChanged} />
      {error && <p className="muted small">{error}</p>}
      {!error && shown === null && <p className="muted small">Loading…</p>}
      {shown && shown.length === 0 && <p className="muted small">No checkpoints yet. An agent session takes one when it starts and one when it ends.</p>}
      {shown && shown.length > 0 && (
        <ol className="cp-timeline" aria-label="Checkpoints, newest first">
          {shown.map((cp) => (
            <li key={cp.id} className={`cp cp-${cp.kind}`} data-testid="checkpoint" data-kind={cp.kind} data-n={cp.n}>
              <span className="cp-dot" aria-hidden="true" />
              <div className="cp-body">
                <div className="cp-head">
                  <span className="cp-n">#{cp.n}</span>
                  <span className={`cp-kind cp-kind-${cp.kind}`} title={KIND_HINT[cp.kind]}>
                    {cp.kind}
                  </span>
                  <time dateTime={cp.createdAt} title={absoluteTime(cp.createdAt)}>
                    {clockTime(cp.createdAt)}
                  </time>
                  <span className="spacer" />
                  <button type="button" className="btn btn-small" onClick={() => setRestoring(cp)} aria-label={`Restore ${checkpointLabel(cp)}`} data-testid="restore">
                    Restore
                  </button>
                </div>
                {cp.message && <p className="cp-message">{cp.message}</p>}
                <p className="cp-meta muted small">
                  {cp.filesChanged === null ? 'first checkpoint' : `${cp.filesChanged} file${cp.filesChanged === 1 ? '' : 's'} changed since the previous one`}
                  {' · '}
                  <code title={`${cp.gitCommit} (${cp.gitRef})`}>{shortCommit(cp.gitCommit)}</code>
                  {cp.agentSessionId && (
                    <>
                      {' · '}
                      <span title={`Agent conversation ${cp.agentSessionId}`}>conversation {cp.agentSessionId.slice(0, 8)}</span>
                    </>
                  )}
                </p>
              </div>
            </li>
          ))}
        </ol>
      )}
      {restoring && (
        <RestoreDialog
          s={s}
          cp={restoring}
          onClose={() => setRestoring(null)}
          onRestored={() => {
            setRestoring(null);
            onChanged();
          }}
        />
      )}
    </section>
  );
}

function CheckpointNow({ s, onDone }: { s: Session; onDone: () => void }) {
  const { api, notify } = useApp();
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    api
      .checkpoint(s.id, message.trim() || undefined)
      .then((cp) => {
        setMessage('');
        notify(`Took checkpoint ${cp.n}${cp.filesChanged !== null ? ` (${cp.filesChanged} file${cp.filesChanged === 1 ? '' : 's'} changed)` : ''}`);
        onDone();
      })
      .catch((err: Error) => setError(err.message))
      .finally(() => setBusy(false));
  };
  return (
    <form className="cp-now" onSubmit={submit} aria-label="Checkpoint now">
      <CodeInput value={message} onChange={(e) => setMessage(e.target.value)} placeholder="message (optional)" aria-label="Checkpoint message" name="checkpoint-message" />
      <button type="submit" className="btn btn-small" disabled={busy} data-testid="checkpoint-now">
        {busy ? 'Saving…' : 'Checkpoint now'}
      </button>
      {error && (
        <p className="alert alert-error small" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** "Put the files back as they were at checkpoint N?" — and, for an agent, go on from there. */
function RestoreDialog({ s, cp, onClose, onRestored }: { s: Session; cp: Checkpoint; onClose: () => void; onRestored: () => void }) {
  const { api, notify } = useApp();
  const canContinue = s.tool !== 'shell';
  const [continueIt, setContinueIt] = useState(false);
  const [prompt, setPrompt] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    api
      .restore(cp.id, restoreBody(canContinue && continueIt, prompt))
      .then((r) => {
        notify(`Restored checkpoint ${r.restored.n}. The files as they were are checkpoint ${r.undo.n}: restore it to undo this.`);
        onRestored();
        if (r.session) navigate(href(`/sessions/${r.session.id}`));
      })
      .catch((err: Error) => {
        setError(err);
        setBusy(false);
      });
  };
  return (
    <Dialog title={`Restore checkpoint ${cp.n}`} titleId="restore-title" className="dialog-narrow" onClose={onClose} onSubmit={submit}>
      <p className="restore-question" data-testid="restore-question">
        {restoreQuestion(cp, s)}
      </p>
      {cp.message && (
        <p className="muted small">
          Its message: <q>{cp.message}</q>
        </p>
      )}
      <p className="muted small">
        Files that are not ignored by git go back; files made since are removed. HEAD, the branch, the index and the stash are untouched.
      </p>
      {canContinue && (
        <>
          <label className="check">
            <input type="checkbox" checked={continueIt} onChange={(e) => setContinueIt(e.target.checked)} name="continue" /> Continue the conversation from
            there, in a new session
          </label>
          {continueIt && (
            <label className="field">
              <span>
                Prompt <span className="muted small">(optional)</span>
              </span>
              <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={3} placeholder="Try another way: …" name="restore-prompt" autoFocus />
            </label>
          )}
        </>
      )}
      <FormError message={error?.message ?? null} testId="restore-error" code={error instanceof ApiError ? error.code : null} />
      <footer className="dialog-foot">
        <span className="spacer" />
        <button type="button" className="btn btn-ghost" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="restore-submit" autoFocus={!continueIt}>
          {busy ? 'Restoring…' : canContinue && continueIt ? 'Restore and continue' : 'Restore'}
        </button>
      </footer>
    </Dialog>
  );
}

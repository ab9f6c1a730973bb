// The session page's controls (start, pause, resume, stop, continue, retry, delete with a
// confirmation) and the form that continues the agent conversation in a new session.
import { useState } from 'react';
import type { Session } from '../api/model';
import type { SessionFeed } from '../data/sessionFeed';
import { actionsFor, type Action } from '../data/status';
import { basename } from './common';
import { useApp } from './context';
import { ActionButton, ControlBar, useActionRunner } from './detail';
import { href, navigate } from './router';

/** A new session that resumes this one's agent conversation with a new prompt. */
export function ContinueForm({ s, onClose }: { s: Session; onClose: () => void }) {
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

export function Controls({ s, feed, onContinue }: { s: Session; feed: SessionFeed; onContinue: () => void }) {
  const { api, notify } = useApp();
  const { busy, stopping, run } = useActionRunner<Action>(s.status);
  const [confirmDelete, setConfirmDelete] = useState(false);

  const act = async (a: Action) => {
    switch (a) {
      case 'start':
      case 'pause':
      case 'resume':
      case 'stop':
        feed.updateSession(await api[a](s.id));
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
  };
  const onAction = (a: Action) => {
    if (a === 'delete' && !confirmDelete) setConfirmDelete(true);
    else if (a === 'continue') onContinue();
    else void run(a, () => act(a)).then(() => a === 'delete' && setConfirmDelete(false));
  };

  return (
    <ControlBar label="Session controls" status={s.status} stopping={stopping}>
      {actionsFor(s).map((a) =>
        a === 'delete' && confirmDelete ? (
          <span key={a} className="confirm" role="group" aria-label="Confirm delete">
            <span className="small">Delete its logs and events?</span>
            <button type="button" className="btn btn-danger" onClick={() => onAction('delete')} disabled={busy !== null} autoFocus>
              Delete
            </button>
            <button type="button" className="btn btn-ghost" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <ActionButton key={a} a={a} busy={busy} stopping={stopping} onClick={() => onAction(a)} />
        ),
      )}
    </ControlBar>
  );
}

// The conversation around a session's transcript (data/stitch.ts): the earlier sessions of its
// agent conversation (continues, a plan's earlier tasks) read once, the sessions that continued
// it, and — once it ended — the follow-up box that continues it in a new session.
import { useEffect, useRef, useState } from 'react';
import type { Session } from '../api/model';
import { costText, sessionLabel } from '../data/format';
import { actionsFor, isTerminal } from '../data/status';
import { continuations, conversationBefore, type TranscriptPart } from '../data/stitch';
import { useApp } from './context';
import { href, navigate } from './router';

export interface Conversation {
  /** Earlier sessions with their items, oldest first (empty while loading or when there are none). */
  earlier: TranscriptPart[];
  /** Sessions that continued this one. */
  next: Session[];
  error: string | null;
}

export function useConversation(s: Session | null): Conversation {
  const { api } = useApp();
  const [conv, setConv] = useState<Conversation>({ earlier: [], next: [], error: null });
  const id = s?.id ?? null;
  const ended = s ? isTerminal(s.status) : false;
  // The chain is fixed once the session exists; its record's later changes do not move it.
  const sRef = useRef(s);
  sRef.current = s;
  useEffect(() => {
    const s = sRef.current;
    if (!s) return;
    let alive = true;
    (async () => {
      const before = await conversationBefore(api, s);
      const earlier = await Promise.all(
        before.map(async (session) => ({ session, items: await api.transcript(session.id).then((t) => t.items, () => []) })),
      );
      if (alive) setConv((c) => ({ ...c, earlier }));
    })().catch((e: Error) => alive && setConv((c) => ({ ...c, error: e.message })));
    return () => {
      alive = false;
    };
  }, [api, id]);
  useEffect(() => {
    const s = sRef.current;
    if (!s || !ended) return;
    let alive = true;
    api
      .sessions({ parentId: s.id, limit: 100 })
      .then(({ sessions }) => alive && setConv((c) => ({ ...c, next: continuations(s, sessions) })))
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, [api, id, ended]);
  return conv;
}

/** The header of one session's part of the conversation. */
export function PartHead({ s, current }: { s: Session; current: boolean }) {
  return (
    <div className="tx-part-head">
      {current ? <strong>This session</strong> : <a href={href(`/sessions/${s.id}`)}>{sessionLabel(s)}</a>}
      <code className="id">{s.shortId}</code>
      <span className="muted">{costText(s)}</span>
    </div>
  );
}

/** Under an ended agent session's transcript: say what comes next, and a new session continues the conversation. */
export function FollowUp({ s, next }: { s: Session; next: Session[] }) {
  const { api, notify } = useApp();
  const [prompt, setPrompt] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!isTerminal(s.status) || !actionsFor(s).includes('continue')) return null;
  const submit = () => {
    if (!prompt.trim() || busy) return;
    setBusy(true);
    setError(null);
    api
      .continueConversation(s.id, { prompt, fallback: 'fresh' })
      .then((created) => {
        notify(`Continuing the conversation in ${created.name ?? created.shortId}`);
        navigate(href(`/sessions/${created.id}`));
      })
      .catch((err: Error) => setError(err.message))
      .finally(() => setBusy(false));
  };
  return (
    <form
      className="follow-up"
      aria-label="Follow up"
      data-testid="follow-up"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {next.length > 0 && (
        <p className="small muted follow-next">
          Continued in{' '}
          {next.map((n, i) => (
            <span key={n.id}>
              {i > 0 && ', '}
              <a href={href(`/sessions/${n.id}`)}>{n.name ?? n.shortId}</a>
            </span>
          ))}
        </p>
      )}
      <textarea
        value={prompt}
        onChange={(e) => setPrompt(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            submit();
          }
        }}
        rows={2}
        placeholder="Follow up: what should the agent do next? (Ctrl+Enter)"
        aria-label="Follow-up prompt"
      />
      <button type="submit" className="btn btn-primary" disabled={busy || !prompt.trim()}>
        {busy ? 'Starting…' : 'Continue'}
      </button>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

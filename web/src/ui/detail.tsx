// What the session page and the plan page share: the header (status, title, id, tool, specs,
// project, connection), error alerts, the figures both show, the tab title and the controls.
import { useEffect, useState, type ReactNode } from 'react';
import type { Session } from '../api/model';
import type { ConnectionState } from '../api/stream';
import { absoluteTime, formatCost, formatDuration, formatTokens, relativeTime, sessionDuration } from '../data/format';
import { ACTION_LABEL, actionClass, isTerminal, type Action } from '../data/status';
import { AttentionBadge, SpecChips, StatusBadge } from './common';
import { useApp } from './context';
import { href } from './router';
import { setPageTitle } from './title';

/**
 * The header, compact (the terminal below gets the rest of the screen): a way back, the status,
 * `tag`, the title (a session's name) with the short id beside it and `subtitle` (what it runs)
 * after; then the tool, `mode`, specs and project; `controls` on the right.
 */
export function DetailHead({
  s,
  idLabel,
  title,
  subtitle,
  hint,
  tag,
  mode,
  connState,
  controls,
}: {
  s: Session;
  idLabel: string;
  title: string;
  subtitle?: string;
  hint: string | undefined;
  tag?: ReactNode;
  mode: ReactNode;
  connState: ConnectionState;
  controls: ReactNode;
}) {
  return (
    <header className="detail-head">
      <div className="detail-title">
        <div className="detail-title-row">
          <a className="back" href={href('/')} title="All sessions" aria-label="All sessions">
            ←
          </a>
          <StatusBadge status={s.status} />
          <AttentionBadge attention={s.attention} />
          {tag}
          <h1 title={hint}>{title}</h1>
          <code className="id id-short" title={`${idLabel} ${s.id}`} data-testid="short-id">
            {s.shortId}
          </code>
          {subtitle && subtitle !== title && (
            <span className="detail-subtitle muted" title={hint}>
              {subtitle}
            </span>
          )}
        </div>
        <div className="detail-sub">
          <span className="tool">{s.tool}</span>
          <span className="mode">{mode}</span>
          <SpecChips ids={s.specIds} max={8} />
          <a className="project" href={href('/specs', { project: s.projectPath })} title={`Specs of ${s.projectPath}`}>
            {s.projectPath}
          </a>
          <code className="id id-full" title={idLabel}>
            {s.id}
          </code>
          {connState !== 'open' && !isTerminal(s.status) && (
            <span className="conn-inline" role="status">
              {connState === 'reconnecting' ? 'Reconnecting…' : 'Connecting…'}
            </span>
          )}
        </div>
      </div>
      {controls}
    </header>
  );
}

export function ErrorAlert({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <div className="alert alert-error" role="alert">
      {message}
    </div>
  );
}

/** The browser tab says the status and the title while the page is open. */
export function usePageTitle(status: string, title: string) {
  useEffect(() => {
    setPageTitle(`${status} · ${title} — agentmux`);
    return () => setPageTitle(null);
  }, [status, title]);
}

export function StartedStat({ s, now }: { s: Session; now: number }) {
  return (
    <div>
      <dt>Started</dt>
      <dd title={absoluteTime(s.startedAt)}>{s.startedAt ? relativeTime(s.startedAt, now) : 'not started'}</dd>
    </div>
  );
}

export function DurationStat({ s, now, testId }: { s: Session; now: number; testId: string }) {
  return (
    <div>
      <dt>Duration</dt>
      <dd data-testid={testId}>{formatDuration(sessionDuration(s, now))}</dd>
    </div>
  );
}

/** The agent conversation's running total (it may span more than this record). */
export function ConversationTotalStat({ total, hint }: { total: NonNullable<Session['conversation']>; hint: string }) {
  return (
    <div className="stat-medium" title={hint}>
      <dt>Conversation cost</dt>
      <dd>
        {formatCost(total.costUsd)}
        <span className="stat-detail">{formatTokens(total.tokenCount)} tokens</span>
      </dd>
    </div>
  );
}

export function ConversationStat({ id, missing, testId }: { id: string | null; missing: string; testId?: string }) {
  return (
    <div className={id ? 'stat-wide' : ''}>
      <dt>Conversation</dt>
      <dd title={id ?? missing} data-testid={testId}>
        {id ? <code>{id}</code> : <span className="muted">—</span>}
      </dd>
    </div>
  );
}

/**
 * Runs a control's request: one at a time (`busy`), and "Stopping…" from the click on stop until
 * the status is final. A failure is told in a toast.
 */
export function useActionRunner<A extends Action>(status: Session['status']) {
  const { notify } = useApp();
  const [busy, setBusy] = useState<A | null>(null);
  const [stopping, setStopping] = useState(false);
  useEffect(() => {
    if (isTerminal(status)) setStopping(false);
  }, [status]);

  const run = async (a: A, act: () => Promise<void>) => {
    setBusy(a);
    if (a === 'stop') setStopping(true);
    try {
      await act();
    } catch (e) {
      if (a === 'stop') setStopping(false);
      notify((e as Error).message, 'error');
    } finally {
      setBusy(null);
    }
  };
  return { busy, stopping, run };
}

/** The controls group; `children` are its buttons. */
export function ControlBar({ label, status, stopping, children }: { label: string; status: Session['status']; stopping: boolean; children: ReactNode }) {
  return (
    <div className="controls" role="group" aria-label={label}>
      {stopping && !isTerminal(status) && (
        <span className="muted small" role="status">
          Stopping…
        </span>
      )}
      {children}
    </div>
  );
}

export function ActionButton({ a, busy, stopping, onClick }: { a: Action; busy: Action | null; stopping: boolean; onClick: () => void }) {
  return (
    <button type="button" className={`btn ${actionClass(a)}`} onClick={onClick} disabled={busy !== null || (a === 'stop' && stopping)} data-action={a}>
      {busy === a ? '…' : ACTION_LABEL[a]}
    </button>
  );
}

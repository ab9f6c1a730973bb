// One row of the sessions list: status (and what it waits for), the session's name with its
// short id, what it runs, tool, times, tokens and cost. A plan's row has a disclosure toggle; a
// plan's task is indented under it.
import type { Session } from '../api/model';
import { absoluteTime, costParts, formatDuration, formatTokens, relativeTime, sessionDuration, sessionTitle, sessionTokens, shortId } from '../data/format';
import { childInfo, childLabel, planProgress, planTitle } from '../data/planTree';
import { AttentionBadge, basename, ChangeCounts, SpecChips, StatusBadge } from './common';
import { href, navigate } from './router';

export interface PlanToggle {
  open: boolean;
  count: number;
  toggle: () => void;
}

/** A session's row; a plan's has a disclosure toggle, a plan's task is indented under it. */
export function SessionRow({ s, now, plan, parent, selected = false }: { s: Session; now: number; plan?: PlanToggle; parent?: Session; selected?: boolean }) {
  const link = href(`/sessions/${s.id}`);
  const dur = sessionDuration(s, now);
  const isPlan = s.kind === 'plan';
  const title = isPlan ? planTitle(s) : (s.name ?? sessionTitle(s));
  const what = isPlan || !s.name ? null : sessionTitle(s);
  return (
    <tr
      className={`row row-${s.status}${isPlan ? ' row-plan' : ''}${parent ? ' row-child' : ''}${selected ? ' row-selected' : ''}${s.attention ? ' row-attention' : ''}`}
      data-session-id={s.id}
      data-parent-id={parent?.id}
      aria-selected={selected || undefined}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('a, button')) return;
        navigate(link);
      }}
    >
      <td className="col-status">
        <StatusBadge status={s.status} />
        <AttentionBadge attention={s.attention} />
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
            {title}
          </a>
          <code className="id" title={s.id}>
            {s.shortId}
          </code>
          {what && <span className="row-what muted">{what}</span>}
        </div>
        <div className="row-sub">
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
        {costParts(s).map((c) => (
          <span key={c.label ?? 'cost'} className="cost-part" data-label={c.label ?? undefined}>
            {c.label && <span className="cost-label">{c.label} </span>}
            {c.text}
          </span>
        ))}
      </td>
    </tr>
  );
}

export function EmptyState({ onNew }: { onNew: () => void }) {
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

// A plan's tasks, in order: each with its status, its attempts (the agent session of each try and
// the verify run that checked it, with the verify result of the plan's events: exit code, and the
// output's last lines on expand), tokens, cost and duration. The output of the child running now
// shows under its task, live; any attempt's output can be picked instead.
import { useEffect, useState } from 'react';
import { isStructured, type Session } from '../api/model';
import { formatCost, formatDuration, formatTokens, sessionDuration } from '../data/format';
import { activeChild, type AttemptView, type TaskView, type VerifyResult } from '../data/plan';
import { childInfo, childLabel } from '../data/planTree';
import { STATUS_LABEL } from '../data/status';
import { StatusBadge } from './common';
import { LiveTerminal } from './LiveTerminal';
import { href } from './router';
import { Transcript } from './Transcript';
import { useSessionFeed } from './useFeed';

export function PlanTasks({ plan, tasks, children }: { plan: Session; tasks: TaskView[]; children: Session[] }) {
  const active = activeChild(children);
  // The output shown: the running child, followed as the plan moves on, until the user picks one.
  const [shown, setShown] = useState<string | null>(active?.id ?? null);
  const [pinned, setPinned] = useState(false);
  useEffect(() => {
    if (!pinned && active) setShown(active.id);
  }, [active?.id, pinned]);
  const shownChild = children.find((c) => c.id === shown) ?? null;
  const pick = (id: string) => {
    if (id === shown && pinned) {
      setPinned(false);
      setShown(active?.id ?? id);
      return;
    }
    setShown(id);
    setPinned(true);
  };
  const follow = () => {
    setPinned(false);
    if (active) setShown(active.id);
  };

  if (!tasks.length) return <p className="muted">This plan has no tasks.</p>;
  return (
    <ol className="plan-tasks" aria-label="Tasks, in order">
      {tasks.map((t) => (
        <TaskItem
          key={t.index}
          plan={plan}
          task={t}
          shown={shown}
          onPick={pick}
          output={shownChild && t.attempts.some((a) => a.task?.id === shownChild.id || a.verify?.id === shownChild.id) ? shownChild : null}
          pinned={pinned}
          onFollow={active && active.id !== shown ? follow : null}
        />
      ))}
    </ol>
  );
}

function TaskItem({
  plan,
  task: t,
  shown,
  onPick,
  output,
  pinned,
  onFollow,
}: {
  plan: Session;
  task: TaskView;
  shown: string | null;
  onPick: (id: string) => void;
  output: Session | null;
  pinned: boolean;
  onFollow: (() => void) | null;
}) {
  const max = t.spec.maxAttempts ?? 1;
  const what = t.spec.command ?? t.spec.prompt ?? (t.spec.spec ? `Spec ${t.spec.spec}` : '');
  // A task names its tool when it is not the plan's.
  const ownTool = t.spec.tool && t.spec.tool !== plan.tool ? t.spec.tool : null;
  return (
    <li className={`plan-task plan-task-${t.status}${t.current ? ' plan-task-current' : ''}`} data-task={t.index + 1} data-status={t.status} data-testid="plan-task">
      <div className="plan-task-head">
        <span className="plan-task-n" aria-label={`Task ${t.index + 1}`}>
          {t.index + 1}
        </span>
        <StatusBadge status={t.status} />
        <span className={`plan-task-title${t.spec.command ? ' mono' : ''}`} title={what}>
          {t.title}
        </span>
        <span className="plan-task-figures">
          {t.attempts.length > 0 && (
            <span title="Attempts so far, of the most allowed">
              {t.attempts.length}/{max} attempt{max === 1 ? '' : 's'}
            </span>
          )}
          {t.tokens !== null && <span title="Tokens">{formatTokens(t.tokens)} tokens</span>}
          {t.costUsd !== null && <span title="Cost">{formatCost(t.costUsd)}</span>}
          <span title="Duration" data-testid="task-duration">
            {formatDuration(t.durationMs)}
          </span>
        </span>
      </div>
      {(t.spec.verify || ownTool) && (
        <div className="plan-task-spec small">
          {t.spec.verify && (
            <span>
              <span className="muted">verify</span> <code>{t.spec.verify}</code>
            </span>
          )}
          {ownTool && (
            <span>
              <span className="muted">tool</span> {ownTool}
            </span>
          )}
        </div>
      )}
      {t.attempts.length > 0 && (
        <ol className="attempts">
          {t.attempts.map((a) => (
            <Attempt key={a.attempt} a={a} shown={shown} onPick={onPick} />
          ))}
        </ol>
      )}
      {output && <ChildOutput key={output.id} child={output} plan={plan} pinned={pinned} onFollow={onFollow} />}
    </li>
  );
}

function Attempt({ a, shown, onPick }: { a: AttemptView; shown: string | null; onPick: (id: string) => void }) {
  const [open, setOpen] = useState(false);
  const r = a.result;
  return (
    <li className="attempt" data-attempt={a.attempt}>
      <div className="attempt-row">
        <span className="attempt-n">Attempt {a.attempt}</span>
        {a.task && <ChildChip s={a.task} role="task" on={shown === a.task.id} onPick={onPick} />}
        {a.verify && !r && <ChildChip s={a.verify} role="verify" on={shown === a.verify.id} onPick={onPick} />}
        {r && a.verify && (
          <>
            <VerifyChip r={r} open={open} onToggle={() => setOpen((o) => !o)} />
            <button type="button" className={`btn btn-small btn-ghost child-view${shown === a.verify.id ? ' on' : ''}`} onClick={() => onPick(a.verify!.id)} title="Show the verify run's output">
              output
            </button>
          </>
        )}
      </div>
      {open && r && (
        <pre className="verify-output" data-testid="verify-output">
          {r.output?.replace(/\n$/, '') || '(no output)'}
        </pre>
      )}
    </li>
  );
}

function ChildChip({ s, role, on, onPick }: { s: Session; role: 'task' | 'verify'; on: boolean; onPick: (id: string) => void }) {
  return (
    <button
      type="button"
      className={`pill child-chip child-chip-${s.status}${on ? ' on' : ''}`}
      onClick={() => onPick(s.id)}
      aria-pressed={on}
      title={`${role === 'verify' ? 'Verify run' : 'Agent session'} ${s.id}: ${STATUS_LABEL[s.status]}. Show its output.`}
      data-session-id={s.id}
      data-role={role}
    >
      <span className={`dot dot-${s.status}`} aria-hidden="true" />
      {role === 'verify' ? 'verify' : 'run'} · {STATUS_LABEL[s.status].toLowerCase()}
      {s.exitCode !== null && s.exitCode !== 0 && <span className="exit-bad"> · exit {s.exitCode}</span>}
      {s.startedAt && <span className="muted"> · {formatDuration(sessionDuration(s))}</span>}
    </button>
  );
}

function VerifyChip({ r, open, onToggle }: { r: VerifyResult; open: boolean; onToggle: () => void }) {
  const text = r.passed ? 'verify passed' : `verify failed · exit ${r.exitCode ?? '?'}`;
  // A failed verify's event carries the output's last lines; a passed one has nothing to show.
  const expandable = !r.passed || !!r.output;
  return (
    <button
      type="button"
      className={`pill verify-chip ${r.passed ? 'verify-passed' : 'verify-failed'}`}
      aria-expanded={expandable ? open : undefined}
      onClick={expandable ? onToggle : undefined}
      title={r.passed ? 'The verify command exited 0' : `The verify command failed${r.willRetry ? '; the task was tried again' : ''}. Show its last lines.`}
      data-testid="verify-result"
      data-passed={r.passed}
    >
      <span aria-hidden="true">{r.passed ? '✓' : '✕'}</span> {text}
      {!r.passed && r.willRetry && <span className="muted"> · retried</span>}
      {expandable && (
        <span className="verify-caret" aria-hidden="true">
          {open ? '▾' : '▸'}
        </span>
      )}
    </button>
  );
}

/** One child's output, live while it runs: its own connection, as the session page does it. */
function ChildOutput({ child, plan, pinned, onFollow }: { child: Session; plan: Session; pinned: boolean; onFollow: (() => void) | null }) {
  // Opened at the end of its log, as the session page does it.
  const { feed, session } = useSessionFeed(child);
  const s = session ?? child;
  const structured = isStructured(child);
  // The store's record says which task and attempt; the feed's says how it is doing now.
  const label = childLabel(childInfo(child, plan));
  const [tab, setTab] = useState<'transcript' | 'terminal'>(structured ? 'transcript' : 'terminal');

  return (
    <section className="plan-live" aria-label={`Output of ${label}`} data-testid="plan-live" data-session-id={child.id}>
      <div className="plan-live-head">
        <strong>{label}</strong>
        <StatusBadge status={s.status} />
        {structured && (
          <span className="seg" role="tablist" aria-label="Output views">
            {(['transcript', 'terminal'] as const).map((v) => (
              <button key={v} type="button" role="tab" aria-selected={tab === v} className={`btn btn-small ${tab === v ? 'btn-on' : 'btn-ghost'}`} onClick={() => setTab(v)}>
                {v === 'transcript' ? 'Transcript' : 'Raw output'}
              </button>
            ))}
          </span>
        )}
        <span className="spacer" />
        {pinned && onFollow && (
          <button type="button" className="btn btn-small btn-accent" onClick={onFollow} data-testid="follow-live">
            Follow the running task ↓
          </button>
        )}
        <a href={href(`/sessions/${child.id}`)} className="small">
          Open session →
        </a>
      </div>
      {feed && (
        <>
          <LiveTerminal feed={feed} session={s} hidden={structured && tab !== 'terminal'} structured={structured} />
          {structured && <Transcript feed={feed} hidden={tab !== 'transcript'} />}
        </>
      )}
    </section>
  );
}

// A plan's page: its status, totals and budget, the controls (pause, resume and stop act on the
// running task and on scheduling), and its tasks in order with their attempts, verify results and
// the live output of the one running now. One WebSocket for the page: the plan's status and
// events, and status-only watches of its live children (the output panel opens its own).
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { Session } from '../api/model';
import { StreamConnection, streamUrl, type ConnectionState } from '../api/stream';
import { formatCost, formatTokens, sessionTokens } from '../data/format';
import { budgetRows, END_REASON_TEXT, planActionsFor, planTasks, type BudgetRow, type PlanAction } from '../data/plan';
import { PlanStore } from '../data/planStore';
import { planTitle } from '../data/planTree';
import { SessionFeed } from '../data/sessionFeed';
import { isLive, isTerminal } from '../data/status';
import { useNow } from './common';
import { useApp } from './context';
import { ActionButton, ControlBar, ConversationStat, ConversationTotalStat, DetailHead, DurationStat, ErrorAlert, StartedStat, useActionRunner, usePageTitle } from './detail';
import { EventsTimeline } from './EventsTimeline';
import { PlanTasks } from './PlanTasks';

export function PlanPage({ initial }: { initial: Session }) {
  const { api, token } = useApp();
  const [page, setPage] = useState<{ store: PlanStore; feed: SessionFeed; conn: StreamConnection } | null>(null);
  const [connState, setConnState] = useState<ConnectionState>('connecting');
  const [streamError, setStreamError] = useState<string | null>(null);

  useEffect(() => {
    const conn = new StreamConnection({ url: streamUrl(), token });
    const feed = new SessionFeed(conn, initial.id, initial);
    const store = new PlanStore(api, conn, feed, initial);
    const offState = conn.onState(setConnState);
    const offErr = feed.listen({ onError: (code, message) => setStreamError(code === 'session_not_found' ? 'This plan was deleted.' : message) });
    void store.start();
    setPage({ store, feed, conn });
    return () => {
      offState();
      offErr();
      store.dispose();
      feed.dispose();
      conn.close();
      setPage(null);
    };
    // `initial` is only the first record: the feed keeps it current.
  }, [api, token, initial.id]);

  if (!page) return <div className="page">Loading plan…</div>;
  return <Plan store={page.store} feed={page.feed} connState={connState} streamError={streamError} />;
}

function Plan({ store, feed, connState, streamError }: { store: PlanStore; feed: SessionFeed; connState: ConnectionState; streamError: string | null }) {
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const p = state.plan;
  const live = isLive(p.status) || state.children.some((c) => isLive(c.status));
  const now = useNow(1000, live);
  const tasks = planTasks(p, state.children, state.events, now);
  const done = tasks.filter((t) => t.status === 'completed').length;
  const ended = isTerminal(p.status);
  const title = planTitle(p);

  usePageTitle(p.status, title);

  return (
    <div className="page plan-page" data-plan-id={p.id}>
      <DetailHead
        s={p}
        idLabel="Plan id"
        title={title}
        hint={title}
        tag={<span className="plan-tag">Plan</span>}
        mode={
          <>
            {tasks.length} task{tasks.length === 1 ? '' : 's'} · {done} done
          </>
        }
        connState={connState}
        controls={<PlanControls plan={p} store={store} />}
      />

      {ended && <EndNotice plan={p} />}
      {!ended && <ErrorAlert message={p.error} />}
      <ErrorAlert message={streamError ?? state.error} />

      <PlanStats plan={p} now={now} />

      <section className="plan-section" aria-labelledby="plan-tasks-title">
        <h2 id="plan-tasks-title">Tasks</h2>
        {!state.loaded ? <p className="muted">Loading tasks…</p> : <PlanTasks plan={p} tasks={tasks} children={state.children} />}
      </section>

      <details className="plan-section plan-events">
        <summary>
          <h2>Events</h2> <span className="muted small">{state.events.length}</span>
        </summary>
        <EventsTimeline feed={feed} hidden={false} />
      </details>
    </div>
  );
}

function EndNotice({ plan }: { plan: Session }) {
  const reason = plan.plan?.endReason ?? null;
  const words = reason ? (END_REASON_TEXT[reason] ?? reason.replace(/_/g, ' ')) : null;
  const kind = plan.status === 'completed' ? 'ok' : plan.status === 'cancelled' ? 'info' : 'error';
  // Stopped: the daemon's words say it; otherwise why it ended, then what went wrong.
  const detail = plan.status === 'cancelled' ? plan.error || words : [words, plan.error].filter(Boolean).join(' — ');
  const what = plan.status === 'completed' ? 'Completed' : plan.status === 'cancelled' ? 'Cancelled' : plan.status === 'interrupted' ? 'Interrupted' : 'Failed';
  return (
    <div className={`alert alert-${kind} plan-end`} role={kind === 'error' ? 'alert' : 'status'} data-testid="plan-end" data-end-reason={reason ?? ''}>
      <strong>{what}</strong>
      {detail && <>: {detail}</>}
      {plan.status === 'interrupted' && <> The daemon stopped under it; Resume continues where it stood.</>}
    </div>
  );
}

function BudgetStat({ row }: { row: BudgetRow }) {
  const label = { tokens: 'Tokens', cost: 'Cost', time: 'Time' }[row.what];
  const over = row.fraction !== null && row.fraction >= 1;
  return (
    <div className="stat-budget" data-testid={`budget-${row.what}`}>
      <dt>{row.limit ? `${label} budget` : label}</dt>
      <dd className={over ? 'bad' : ''}>
        {row.spent}
        {row.limit && <span className="budget-limit"> / {row.limit}</span>}
        {row.fraction !== null && (
          <span className="budget-bar" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(row.fraction * 100)} aria-label={`${label}: ${Math.round(row.fraction * 100)}% of the budget`}>
            <span style={{ width: `${Math.max(2, row.fraction * 100)}%` }} className={row.fraction > 0.85 ? 'budget-hot' : ''} />
          </span>
        )}
      </dd>
    </div>
  );
}

function PlanStats({ plan: p, now }: { plan: Session; now: number }) {
  const rows = budgetRows(p, now);
  const tokens = sessionTokens(p);
  return (
    <dl className="stats plan-stats">
      <StartedStat s={p} now={now} />
      <DurationStat s={p} now={now} testId="plan-duration" />
      {rows[0]!.limit ? (
        <BudgetStat row={rows[0]!} />
      ) : (
        <div>
          <dt>Tokens</dt>
          <dd data-testid="plan-tokens">{formatTokens(tokens)}</dd>
        </div>
      )}
      {rows[1]!.limit ? (
        <BudgetStat row={rows[1]!} />
      ) : (
        <div title="What the plan's tasks themselves used">
          <dt>{p.conversation ? 'Plan cost' : 'Cost'}</dt>
          <dd data-testid="plan-cost">{formatCost(p.costUsd)}</dd>
        </div>
      )}
      {rows[2]!.limit && <BudgetStat row={rows[2]!} />}
      {p.conversation && <ConversationTotalStat total={p.conversation} hint="The shared agent conversation's running total" />}
      <ConversationStat id={p.plan?.conversationId ?? null} missing="No agent conversation yet" testId="plan-conversation" />
      {p.plan?.endReason && (
        <div>
          <dt>End reason</dt>
          <dd data-testid="plan-end-reason">{p.plan.endReason.replace(/_/g, ' ')}</dd>
        </div>
      )}
    </dl>
  );
}

function PlanControls({ plan, store }: { plan: Session; store: PlanStore }) {
  const { api } = useApp();
  const { busy, stopping, run } = useActionRunner<PlanAction>(plan.status);
  return (
    <ControlBar label="Plan controls" status={plan.status} stopping={stopping}>
      {planActionsFor(plan.status).map((a) => (
        <ActionButton key={a} a={a} busy={busy} stopping={stopping} onClick={() => void run(a, async () => store.updatePlan(await api[a](plan.id)))} />
      ))}
    </ControlBar>
  );
}

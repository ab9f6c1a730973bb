// A plan's page, worked out from three things the daemon gives: the plan session (its `plan`:
// tasks, current, budget, spent), its children (GET /api/sessions?parent_id=…: one agent session
// per task attempt, one shell session per verify run) and its events (task_started,
// task_completed, verify_passed, verify_failed, …). docs/api.md "Plan".
import type { PlanTask, Session, SessionEvent, SessionStatus } from '../api/model';
import { excerpt, formatCost, formatDuration, formatTokens, sessionDuration, sessionTokens } from './format';
import { byCreation, childInfo, type PlanRole } from './planTree';
import { isLive, isTerminal } from './status';

export interface VerifyResult {
  passed: boolean;
  exitCode: number | null;
  /** The last lines of the verify command's output (failures only). */
  output: string | null;
  willRetry: boolean | null;
}

export interface AttemptView {
  attempt: number;
  task: Session | null;
  verify: Session | null;
  result: VerifyResult | null;
}

export interface TaskView {
  index: number;
  spec: PlanTask;
  title: string;
  status: SessionStatus;
  /** The plan is working on it now. */
  current: boolean;
  attempts: AttemptView[];
  tokens: number | null;
  costUsd: number | null;
  durationMs: number | null;
}

/** The plan's events that change its children: the page fetches them again on each. */
export const CHILD_EVENTS: ReadonlySet<string> = new Set(['task_started', 'task_completed', 'verify_passed', 'verify_failed']);

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function taskTitle(t: PlanTask): string {
  if (t.prompt) return excerpt(t.prompt, 120);
  if (t.command) return excerpt(t.command, 120);
  if (t.spec) return `Spec ${t.spec}`;
  return '(empty task)';
}

interface ChildFacts {
  index: number | null;
  attempt: number | null;
  role: PlanRole | null;
}

/** Each child's task, attempt and role: its fields first, the events that name it next. */
function facts(children: Session[], events: SessionEvent[]): Map<string, ChildFacts> {
  const started = new Map<string, SessionEvent>();
  for (const e of events) {
    const id = str(e.data?.session_id);
    if (id && (e.eventType === 'task_started' || e.eventType === 'verify_passed' || e.eventType === 'verify_failed')) {
      if (!started.has(id) || e.eventType === 'task_started') started.set(id, e);
    }
  }
  const out = new Map<string, ChildFacts>();
  for (const c of children) {
    const info = childInfo(c);
    const e = started.get(c.id);
    const evTask = num(e?.data?.task);
    const evRole = e ? (e.eventType === 'task_started' ? str(e.data?.role) : 'verify') : null;
    out.set(c.id, {
      index: info.task !== null ? info.task - 1 : evTask !== null ? evTask - 1 : null,
      attempt: info.attempt ?? num(e?.data?.attempt),
      role: info.role ?? (evRole === 'task' || evRole === 'verify' ? evRole : null),
    });
  }
  return out;
}

function verifyResults(events: SessionEvent[]): Map<string, VerifyResult> {
  const out = new Map<string, VerifyResult>();
  for (const e of events) {
    if (e.eventType !== 'verify_passed' && e.eventType !== 'verify_failed') continue;
    const id = str(e.data?.session_id);
    if (!id) continue;
    const passed = e.eventType === 'verify_passed';
    out.set(id, {
      passed,
      exitCode: passed ? num(e.data?.exit_code) ?? 0 : num(e.data?.exit_code),
      output: str(e.data?.output),
      willRetry: typeof e.data?.will_retry === 'boolean' ? e.data.will_retry : null,
    });
  }
  return out;
}

function sum(values: (number | null)[]): number | null {
  let total: number | null = null;
  for (const v of values) if (v !== null) total = (total ?? 0) + v;
  return total;
}

export function planTasks(plan: Session, children: Session[], events: SessionEvent[], now: number = Date.now()): TaskView[] {
  const specs = plan.plan?.tasks ?? [];
  const sorted = children.slice().sort(byCreation);
  const known = facts(sorted, events);
  const results = verifyResults(events);
  const completed = new Set<number>();
  for (const e of events) if (e.eventType === 'task_completed' && num(e.data?.task) !== null) completed.add(num(e.data?.task)! - 1);
  const current = plan.plan?.current ?? null;
  const planLive = !isTerminal(plan.status) && plan.status !== 'pending';

  const count = Math.max(specs.length, ...sorted.map((c) => (known.get(c.id)?.index ?? -1) + 1));
  const views: TaskView[] = [];
  for (let i = 0; i < count; i++) {
    const mine = sorted.filter((c) => known.get(c.id)?.index === i);
    const attempts: AttemptView[] = [];
    const attemptOf = (n: number) => {
      let a = attempts.find((x) => x.attempt === n);
      if (!a) attempts.push((a = { attempt: n, task: null, verify: null, result: null }));
      return a;
    };
    let lastTaskAttempt = 0;
    for (const c of mine) {
      const f = known.get(c.id)!;
      if (f.role === 'verify') {
        // A verify run belongs to the attempt it checked: its own, else the latest task attempt.
        const a = attemptOf(f.attempt ?? Math.max(1, lastTaskAttempt));
        a.verify = c;
        a.result = results.get(c.id) ?? null;
      } else {
        const n = f.attempt ?? lastTaskAttempt + 1;
        lastTaskAttempt = Math.max(lastTaskAttempt, n);
        attemptOf(n).task = c;
      }
    }
    attempts.sort((a, b) => a.attempt - b.attempt);

    const latest = mine.at(-1) ?? null;
    const live = mine.filter((c) => isLive(c.status)).at(-1) ?? null;
    let status: SessionStatus;
    if (live) status = live.status;
    else if (completed.has(i)) status = 'completed';
    // Its try completed and nothing checks it: done, even before the plan's `current` or its
    // task_completed event has reached this page (they come on other messages).
    else if (latest && known.get(latest.id)?.role !== 'verify' && latest.status === 'completed' && !specs[i]?.verify)
      status = 'completed';
    else if (planLive && current === i) status = plan.status === 'paused' ? 'paused' : 'running';
    else if (!latest) status = 'pending';
    else if (known.get(latest.id)?.role === 'verify') {
      const r = results.get(latest.id);
      status = r ? (r.passed ? 'completed' : 'failed') : latest.status;
    } else status = latest.status;

    views.push({
      index: i,
      spec: specs[i] ?? { prompt: null, spec: null, command: null, tool: null, verify: null, maxAttempts: null },
      title: specs[i] ? taskTitle(specs[i]) : `Task ${i + 1}`,
      status,
      current: planLive && current === i,
      attempts,
      tokens: sum(mine.map(sessionTokens)),
      costUsd: sum(mine.map((c) => c.costUsd)),
      durationMs: sum(mine.map((c) => sessionDuration(c, now))),
    });
  }
  return views;
}

/** The child to show live: the latest one still running (or paused), else none. */
export function activeChild(children: Session[]): Session | null {
  return children.filter((c) => isLive(c.status)).sort(byCreation).at(-1) ?? null;
}

export interface BudgetRow {
  what: 'tokens' | 'cost' | 'time';
  spent: string;
  limit: string | null;
  /** spent / limit, when there is a limit. */
  fraction: number | null;
}

/** Spent against the budget, one row per figure that has a limit or was spent at all. */
export function budgetRows(plan: Session, now: number = Date.now()): BudgetRow[] {
  const budget = plan.plan?.budget ?? null;
  const spent = plan.plan?.spent ?? null;
  const time = spent?.timeMs ?? sessionDuration(plan, now);
  const rows: [BudgetRow['what'], number | null, number | null, (n: number | null) => string][] = [
    ['tokens', spent?.tokens ?? sessionTokens(plan), budget?.tokens ?? null, formatTokens],
    ['cost', spent?.costUsd ?? plan.costUsd, budget?.costUsd ?? null, formatCost],
    ['time', time, budget?.timeMs ?? null, formatDuration],
  ];
  return rows.map(([what, s, limit, fmt]) => ({
    what,
    spent: fmt(s ?? (limit !== null ? 0 : null)),
    limit: limit !== null ? fmt(limit) : null,
    fraction: limit !== null && limit > 0 ? Math.min(1, (s ?? 0) / limit) : null,
  }));
}

export const END_REASON_TEXT: Record<string, string> = {
  completed: 'every task completed',
  task_failed: 'a task failed on its last attempt',
  verify_failed: 'a verify command still failed after the last attempt',
  budget: 'a budget was used up',
  stopped: 'stopped before its last task',
};

export type PlanAction = 'start' | 'pause' | 'resume' | 'stop';

/** What a plan's page offers: pause, resume and stop act on its running task and on scheduling. */
export function planActionsFor(status: SessionStatus): PlanAction[] {
  switch (status) {
    case 'pending':
      return ['start', 'stop'];
    case 'running':
      return ['pause', 'stop'];
    case 'paused':
      return ['resume', 'stop'];
    case 'interrupted':
      return ['resume'];
    default:
      return [];
  }
}

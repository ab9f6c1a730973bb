// The sessions list with plans folded: a plan's tasks (agent sessions with parent_id = the plan)
// go under their plan instead of at the top level. A task whose plan is not in the list (another
// page, or filtered out) stays at the top level so that nothing disappears.
import type { Session } from '../api/model';

export interface ListRow {
  session: Session;
  /** A plan's task and verify sessions, in the order they ran; empty for other sessions. */
  children: Session[];
}

/** Oldest first, by creation time (ids are UUIDv7: they sort by creation time too). */
export function byCreation(a: Session, b: Session): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A plan's children in reading order: by task, then as they ran (a plan makes its tasks' first
 * sessions together, up front, so creation time alone does not order them). */
export function byTask(a: Session, b: Session): number {
  const pa = a.position ?? Number.MAX_SAFE_INTEGER;
  const pb = b.position ?? Number.MAX_SAFE_INTEGER;
  return pa !== pb ? pa - pb : byCreation(a, b);
}

/** Plans with their children; the list's order (newest first) is kept for the top level. */
export function groupPlans(sessions: Session[]): ListRow[] {
  const plans = new Map<string, ListRow>();
  for (const s of sessions) if (s.kind === 'plan') plans.set(s.id, { session: s, children: [] });
  const rows: ListRow[] = [];
  for (const s of sessions) {
    const parent = s.parentId ? plans.get(s.parentId) : undefined;
    if (parent && s.kind !== 'plan') parent.children.push(s);
    else rows.push(plans.get(s.id) ?? { session: s, children: [] });
  }
  for (const r of plans.values()) r.children.sort(byTask);
  return rows;
}

export type PlanRole = 'task' | 'verify';

/** What a child of a plan is: its task (1-based), the attempt, and whether it runs the verify. */
export interface ChildInfo {
  task: number | null;
  tasks: number | null;
  attempt: number | null;
  role: PlanRole | null;
}

const positive = (v: string | undefined): number | null => {
  const n = Number.parseInt(v ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : null;
};

export function childInfo(child: Pick<Session, 'position' | 'metadata'>, plan?: Pick<Session, 'plan'> | null): ChildInfo {
  const role = child.metadata.plan_role;
  return {
    task: child.position !== null ? child.position + 1 : null,
    tasks: plan?.plan ? plan.plan.tasks.length : null,
    attempt: positive(child.metadata.attempt),
    role: role === 'task' || role === 'verify' ? role : null,
  };
}

/** "Task 2/3 · attempt 1", "Task 2/3 · verify, attempt 2". */
export function childLabel(info: ChildInfo): string {
  const task = info.task === null ? 'Task' : info.tasks ? `Task ${info.task}/${info.tasks}` : `Task ${info.task}`;
  const attempt = info.attempt !== null ? `attempt ${info.attempt}` : null;
  if (info.role === 'verify') return `${task} · verify${attempt ? `, ${attempt}` : ''}`;
  return attempt ? `${task} · ${attempt}` : task;
}

/** Where a plan stands, for its row: "task 2/3", "3/3 done", "not started". */
export function planProgress(plan: Pick<Session, 'status' | 'plan'>): string {
  const p = plan.plan;
  const n = p?.tasks.length ?? 0;
  const tasks = `${n} task${n === 1 ? '' : 's'}`;
  if (!p) return tasks;
  if (plan.status === 'completed') return `${n}/${n} done`;
  if (p.current !== null) return `task ${p.current + 1}/${n}`;
  if (plan.status === 'pending') return `${tasks}, not started`;
  return tasks;
}

/** The plan's name, else its first task's words. */
export function planTitle(plan: Pick<Session, 'plan' | 'prompt' | 'command' | 'tool'>): string {
  const p = plan.plan;
  if (p?.name) return p.name;
  const first = p?.tasks[0];
  return first?.prompt ?? first?.command ?? (first?.spec ? `spec ${first.spec}` : null) ?? plan.prompt ?? 'plan';
}

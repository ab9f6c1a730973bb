// The "New plan" dialog's fields → POST /api/plans (docs/api.md "CreatePlan"). Only what cannot
// be sent at all is refused here (a number that is not one); what the daemon judges (a duration,
// a spec, the tasks themselves) goes to it, and its 422 is shown as it says it.
import type { CreatePlanRequest, CreatePlanTask } from '../api/wire';

export interface TaskRow {
  /** For React keys; not sent. */
  key: number;
  /** The prompt, or the command when the plan's tool is shell. */
  text: string;
  verify: string;
  maxAttempts: string;
}

export interface PlanForm {
  name: string;
  tool: string;
  projectPath: string;
  specIds: string[];
  tasks: TaskRow[];
  budgetTokens: string;
  budgetCost: string;
  budgetTime: string;
  timeout: string;
  start: boolean;
}

export type BuildResult = { ok: true; request: CreatePlanRequest } | { ok: false; error: string };

let nextKey = 1;
export function emptyTask(): TaskRow {
  return { key: nextKey++, text: '', verify: '', maxAttempts: '' };
}

const blank = (t: TaskRow) => !t.text.trim() && !t.verify.trim() && !t.maxAttempts.trim();

export function buildCreatePlan(f: PlanForm): BuildResult {
  const req: CreatePlanRequest = { tool: f.tool, project_path: f.projectPath.trim(), start: f.start };
  if (f.name.trim()) req.name = f.name.trim();
  if (f.specIds.length) req.spec_ids = [...f.specIds];

  const rows = f.tasks.filter((t) => !blank(t));
  if (!rows.length) return { ok: false, error: f.tool === 'shell' ? 'Add a task: the command it runs.' : 'Add a task: what the agent should do.' };
  const tasks: CreatePlanTask[] = [];
  for (const [i, t] of rows.entries()) {
    const task: CreatePlanTask = {};
    if (t.text.trim()) {
      if (f.tool === 'shell') task.command = t.text.trim();
      else task.prompt = t.text;
    }
    if (t.verify.trim()) task.verify = t.verify.trim();
    if (t.maxAttempts.trim()) {
      const n = Number(t.maxAttempts.trim());
      if (!Number.isInteger(n) || n < 1) return { ok: false, error: `Task ${i + 1}: max attempts must be a whole number, 1 or more (not "${t.maxAttempts.trim()}").` };
      task.max_attempts = n;
    }
    tasks.push(task);
  }
  req.tasks = tasks;

  const budget: NonNullable<CreatePlanRequest['budget']> = {};
  if (f.budgetTokens.trim()) {
    const n = Number(f.budgetTokens.trim().replace(/[_,\s]/g, ''));
    if (!Number.isInteger(n) || n < 1) return { ok: false, error: `Token budget: a whole number of tokens, e.g. 2000000 (not "${f.budgetTokens.trim()}").` };
    budget.tokens = n;
  }
  if (f.budgetCost.trim()) {
    const n = Number(f.budgetCost.trim().replace(/^\$/, ''));
    if (!Number.isFinite(n) || n <= 0) return { ok: false, error: `Cost budget: an amount in US dollars, e.g. 5 or 0.50 (not "${f.budgetCost.trim()}").` };
    budget.cost_usd = n;
  }
  if (f.budgetTime.trim()) budget.time = f.budgetTime.trim();
  if (Object.keys(budget).length) req.budget = budget;
  if (f.timeout.trim()) req.timeout = f.timeout.trim();
  return { ok: true, request: req };
}

// New plan: a name, the tool, the project, specs for the first task's context, the tasks in order
// (a prompt each, or a command for the shell tool; a verify command and how many attempts), and a
// budget. POST /api/plans; the daemon's answer to an invalid plan (422) is shown as it says it.
import { useState, type FormEvent } from 'react';
import type { ApiError } from '../api/http';
import type { Session } from '../api/model';
import { toggled } from '../data/choice';
import { buildCreatePlan, emptyTask, type TaskRow } from '../data/planForm';
import { useApp } from './context';
import { CodeInput, Dialog, DialogFoot, FormError, ProjectField, rememberProject, SpecOptions, useProjectChoice, useProjectSpecs, useToolChoice } from './dialog';
import { ToolPicker } from './ToolPicker';

export function PlanDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (s: Session) => void }) {
  const { api } = useApp();
  const { tools, toolsError, tool, setTool } = useToolChoice('');
  const [name, setName] = useState('');
  const { projects, project, setProject } = useProjectChoice();
  const { specs } = useProjectSpecs(project);
  const [specIds, setSpecIds] = useState<string[]>([]);
  const [tasks, setTasks] = useState<TaskRow[]>(() => [emptyTask()]);
  const [budgetTokens, setBudgetTokens] = useState('');
  const [budgetCost, setBudgetCost] = useState('');
  const [budgetTime, setBudgetTime] = useState('');
  const [timeout, setTimeoutText] = useState('');
  const [start, setStart] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string | null; message: string } | null>(null);

  const isShell = tool === 'shell';
  const unavailable = tools?.find((t) => t.name === tool)?.available === false;
  const setTask = (key: number, patch: Partial<TaskRow>) => setTasks((ts) => ts.map((t) => (t.key === key ? { ...t, ...patch } : t)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const built = buildCreatePlan({ name, tool, projectPath: project, specIds, tasks, budgetTokens, budgetCost, budgetTime, timeout, start });
    if (!built.ok) {
      setError({ code: null, message: built.error });
      return;
    }
    setBusy(true);
    try {
      const s = await api.createPlan(built.request);
      rememberProject(s.projectPath);
      onCreated(s);
    } catch (err) {
      setError({ code: (err as ApiError).code ?? null, message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="New plan"
      titleId="plan-title"
      className="dialog-plan"
      formLabel="New plan"
      onClose={onClose}
      onSubmit={(e) => void submit(e)}
      onChange={() => error && setError(null)}
    >
      <p className="muted small dialog-intro">Tasks run one after the other in one agent conversation. A task whose verify command fails is tried again, up to its attempts.</p>

      <label className="field">
        <span>
          Name <span className="muted small">(optional; default: the first task’s words)</span>
        </span>
        <CodeInput value={name} onChange={(e) => setName(e.target.value)} placeholder="add-login" name="plan-name" />
      </label>

      <ToolPicker tools={tools} error={toolsError} tool={tool} onChange={setTool} name="plan-tool" />

      <ProjectField value={project} onChange={setProject} projects={projects} listId="plan-known-projects" />

      {specs && specs.length > 0 && (
        <fieldset className="specs">
          <legend>
            Specs <span className="muted small">attached to the first task’s context, in this order</span>
          </legend>
          <SpecOptions
            specs={specs}
            selected={specIds}
            onToggle={(id) => setSpecIds((sel) => toggled(sel, id))}
            note={(sp) => specIds.includes(sp.id) && <span className="muted small">#{specIds.indexOf(sp.id) + 1}</span>}
          />
        </fieldset>
      )}

      <fieldset className="plan-tasks-edit">
        <legend>Tasks</legend>
        <ol className="task-rows">
          {tasks.map((t, i) => (
            <li key={t.key} className="task-row" data-testid="task-row">
              <div className="task-row-head">
                <span className="task-row-n" aria-hidden="true">
                  {i + 1}
                </span>
                {isShell ? (
                  <CodeInput
                    className="mono task-text"
                    value={t.text}
                    onChange={(e) => setTask(t.key, { text: e.target.value })}
                    placeholder="make build"
                    aria-label={`Task ${i + 1}: command`}
                    name={`task-${i}-command`}
                  />
                ) : (
                  <textarea
                    className="task-text"
                    value={t.text}
                    onChange={(e) => setTask(t.key, { text: e.target.value })}
                    rows={2}
                    placeholder={i === 0 ? 'Create the User model' : 'What the agent does next'}
                    aria-label={`Task ${i + 1}: prompt`}
                    name={`task-${i}-prompt`}
                  />
                )}
                <button
                  type="button"
                  className="btn btn-small btn-ghost"
                  onClick={() => setTasks((ts) => (ts.length > 1 ? ts.filter((x) => x.key !== t.key) : [emptyTask()]))}
                  aria-label={`Remove task ${i + 1}`}
                  title="Remove this task"
                >
                  ✕
                </button>
              </div>
              <div className="task-row-more">
                <label className="task-verify">
                  <span>Verify</span>
                  <CodeInput
                    className="mono"
                    value={t.verify}
                    onChange={(e) => setTask(t.key, { verify: e.target.value })}
                    placeholder="npm test (optional)"
                    aria-label={`Task ${i + 1}: verify command`}
                    name={`task-${i}-verify`}
                  />
                </label>
                <label className="task-attempts">
                  <span>Max attempts</span>
                  <input
                    type="text"
                    inputMode="numeric"
                    value={t.maxAttempts}
                    onChange={(e) => setTask(t.key, { maxAttempts: e.target.value })}
                    placeholder="default"
                    size={5}
                    aria-label={`Task ${i + 1}: max attempts`}
                    name={`task-${i}-attempts`}
                  />
                </label>
              </div>
            </li>
          ))}
        </ol>
        <button type="button" className="btn btn-small" onClick={() => setTasks((ts) => [...ts, emptyTask()])} data-testid="add-task">
          + Add task
        </button>
      </fieldset>

      <fieldset className="plan-budget">
        <legend>
          Budget <span className="muted small">optional; the plan stops (failed) once one is passed</span>
        </legend>
        <div className="budget-fields">
          <label>
            <span>Tokens</span>
            <input type="text" inputMode="numeric" value={budgetTokens} onChange={(e) => setBudgetTokens(e.target.value)} placeholder="2000000" name="budget-tokens" size={10} />
          </label>
          <label>
            <span>Cost (USD)</span>
            <input type="text" inputMode="decimal" value={budgetCost} onChange={(e) => setBudgetCost(e.target.value)} placeholder="5" name="budget-cost" size={6} />
          </label>
          <label>
            <span>Time</span>
            <input type="text" value={budgetTime} onChange={(e) => setBudgetTime(e.target.value)} placeholder="2h" name="budget-time" size={6} spellCheck={false} />
          </label>
          <label>
            <span>Timeout per attempt</span>
            <input type="text" value={timeout} onChange={(e) => setTimeoutText(e.target.value)} placeholder="none" name="timeout" size={6} spellCheck={false} />
          </label>
        </div>
      </fieldset>

      <DialogFoot
        start={start}
        onStart={setStart}
        onClose={onClose}
        disabled={busy || !tool || unavailable}
        label={busy ? 'Creating…' : start ? 'Create plan and start' : 'Create plan'}
        testId="plan-submit"
      >
        {/* In the footer, which stays in view: the daemon's answer is seen where the button is. */}
        <FormError message={error?.message ?? null} className="plan-error" testId="plan-error" code={error?.code} />
      </DialogFoot>
    </Dialog>
  );
}

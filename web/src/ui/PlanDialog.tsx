// New plan: a name, the tool, the project, specs for the first task's context, the tasks in order
// (a prompt each, or a command for the shell tool; a verify command and how many attempts), and a
// budget. POST /api/plans; the daemon's answer to an invalid plan (422) is shown as it says it.
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { ApiError } from '../api/http';
import type { Session, Spec, Tool } from '../api/model';
import { buildCreatePlan, emptyTask, type TaskRow } from '../data/planForm';
import { useApp } from './context';
import { ToolPicker } from './ToolPicker';

const LAST_PROJECT = 'agentmux.lastProject';

export function PlanDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (s: Session) => void }) {
  const { api, tools: loadTools, knownProjects } = useApp();
  const dialog = useRef<HTMLDialogElement>(null);
  const [tools, setTools] = useState<Tool[] | null>(null);
  const [toolsError, setToolsError] = useState<string | null>(null);
  const [tool, setTool] = useState('');
  const [name, setName] = useState('');
  const projects = useMemo(() => knownProjects(), [knownProjects]);
  const [project, setProject] = useState(window.localStorage.getItem(LAST_PROJECT) ?? projects[0] ?? '');
  const [specs, setSpecs] = useState<Spec[] | null>(null);
  const [specIds, setSpecIds] = useState<string[]>([]);
  const [tasks, setTasks] = useState<TaskRow[]>(() => [emptyTask()]);
  const [budgetTokens, setBudgetTokens] = useState('');
  const [budgetCost, setBudgetCost] = useState('');
  const [budgetTime, setBudgetTime] = useState('');
  const [timeout, setTimeoutText] = useState('');
  const [start, setStart] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string | null; message: string } | null>(null);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  useEffect(() => {
    loadTools()
      .then((t) => {
        setTools(t);
        setTool((cur) => cur || (t.find((x) => x.name === 'claude' && x.available)?.name ?? t.find((x) => x.available)?.name ?? t[0]?.name ?? 'shell'));
      })
      .catch((e: Error) => setToolsError(e.message));
  }, [loadTools]);

  useEffect(() => {
    const path = project.trim();
    setSpecs(null);
    if (!path.startsWith('/')) return;
    let alive = true;
    const t = window.setTimeout(() => {
      api
        .specs(path)
        .then((r) => alive && setSpecs(r.specs))
        .catch(() => alive && setSpecs([]));
    }, 250);
    return () => {
      alive = false;
      window.clearTimeout(t);
    };
  }, [api, project]);

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
      window.localStorage.setItem(LAST_PROJECT, s.projectPath);
      onCreated(s);
    } catch (err) {
      setError({ code: (err as ApiError).code ?? null, message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="dialog dialog-plan"
      aria-labelledby="plan-title"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === dialog.current) onClose();
      }}
    >
      <form className="create" onSubmit={(e) => void submit(e)} onChange={() => error && setError(null)} aria-label="New plan">
        <header className="dialog-head">
          <h2 id="plan-title">New plan</h2>
          <button type="button" className="btn btn-ghost" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </header>
        <p className="muted small dialog-intro">Tasks run one after the other in one agent conversation. A task whose verify command fails is tried again, up to its attempts.</p>

        <label className="field">
          <span>
            Name <span className="muted small">(optional; default: the first task’s words)</span>
          </span>
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="add-login" name="plan-name" spellCheck={false} autoComplete="off" />
        </label>

        <ToolPicker tools={tools} error={toolsError} tool={tool} onChange={setTool} name="plan-tool" />

        <label className="field">
          <span>Project path</span>
          <input
            type="text"
            required
            value={project}
            onChange={(e) => setProject(e.target.value)}
            placeholder="/home/me/src/my-project"
            list="plan-known-projects"
            spellCheck={false}
            autoComplete="off"
            name="project"
          />
          <datalist id="plan-known-projects">
            {projects.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </label>

        {specs && specs.length > 0 && (
          <fieldset className="specs">
            <legend>
              Specs <span className="muted small">attached to the first task’s context, in this order</span>
            </legend>
            <div className="spec-pick">
              {specs.map((sp) => (
                <label key={sp.id} className="spec-option">
                  <input
                    type="checkbox"
                    checked={specIds.includes(sp.id)}
                    onChange={() => setSpecIds((sel) => (sel.includes(sp.id) ? sel.filter((x) => x !== sp.id) : [...sel, sp.id]))}
                  />
                  <span className="chip">{sp.id}</span>
                  <span className="spec-title">{sp.title}</span>
                  {specIds.includes(sp.id) && <span className="muted small">#{specIds.indexOf(sp.id) + 1}</span>}
                </label>
              ))}
            </div>
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
                    <input
                      type="text"
                      className="mono task-text"
                      value={t.text}
                      onChange={(e) => setTask(t.key, { text: e.target.value })}
                      placeholder="make build"
                      aria-label={`Task ${i + 1}: command`}
                      name={`task-${i}-command`}
                      spellCheck={false}
                      autoComplete="off"
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
                    <input
                      type="text"
                      className="mono"
                      value={t.verify}
                      onChange={(e) => setTask(t.key, { verify: e.target.value })}
                      placeholder="npm test (optional)"
                      aria-label={`Task ${i + 1}: verify command`}
                      name={`task-${i}-verify`}
                      spellCheck={false}
                      autoComplete="off"
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

        <footer className="dialog-foot">
          {/* In the footer, which stays in view: the daemon's answer is seen where the button is. */}
          {error && (
            <p className="alert alert-error plan-error" role="alert" data-testid="plan-error" data-code={error.code ?? undefined}>
              {error.message}
            </p>
          )}
          <label className="check">
            <input type="checkbox" checked={start} onChange={(e) => setStart(e.target.checked)} /> Start now
          </label>
          <span className="spacer" />
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy || !tool || unavailable} data-testid="plan-submit">
            {busy ? 'Creating…' : start ? 'Create plan and start' : 'Create plan'}
          </button>
        </footer>
      </form>
    </dialog>
  );
}

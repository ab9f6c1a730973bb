// New session: tool (with availability, version and how to install a missing one), mode,
// project, specs in order, prompt, command for the shell tool; create and start in one call.
import { useEffect, useState, type FormEvent } from 'react';
import type { Session } from '../api/model';
import type { CreateSessionRequest } from '../api/wire';
import { moved, toggled } from '../data/choice';
import { shellQuote, specMatches, splitCommand } from '../data/format';
import { useApp, type CreatePrefill } from './context';
import { CodeInput, Dialog, DialogFoot, FormError, ProjectField, rememberProject, SpecOptions, useProjectChoice, useProjectSpecs, useToolChoice } from './dialog';
import { ToolPicker } from './ToolPicker';

export function CreateDialog({ prefill, onClose, onCreated }: { prefill: CreatePrefill; onClose: () => void; onCreated: (s: Session) => void }) {
  const { api } = useApp();
  const { tools, toolsError, tool, setTool } = useToolChoice(prefill.tool ?? '', !!prefill.command?.length);
  const [mode, setMode] = useState(prefill.mode ?? 'autonomous');
  const { projects, project, setProject } = useProjectChoice(prefill.projectPath);
  const { specs, specsError } = useProjectSpecs(project);
  const [selected, setSelected] = useState<string[]>(prefill.specIds ?? []);
  const [prompt, setPrompt] = useState(prefill.prompt ?? '');
  const [name, setName] = useState('');
  const [command, setCommand] = useState(prefill.command ? prefill.command.map(shellQuote).join(' ') : '');
  const [start, setStart] = useState(true);
  const [timeout, setTimeoutText] = useState('');
  const [worktree, setWorktree] = useState(false);
  const [base, setBase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Prefilled ids may be short ("028"): use the spec's full id.
  useEffect(() => {
    if (specs) setSelected((sel) => sel.map((id) => specs.find((sp) => specMatches(id, sp.id))?.id ?? id));
  }, [specs]);

  const current = tools?.find((t) => t.name === tool) ?? null;
  const isShell = tool === 'shell';
  const unavailable = current !== null && !current.available;

  const toggleSpec = (id: string) => setSelected((sel) => toggled(sel, id));
  const move = (i: number, d: number) => setSelected((sel) => moved(sel, i, d));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const req: CreateSessionRequest = { tool, mode, project_path: project.trim(), spec_ids: selected, start };
    if (prompt.trim()) req.prompt = prompt;
    if (name.trim()) req.name = name.trim();
    if (timeout.trim()) req.timeout = timeout.trim();
    if (worktree) {
      req.worktree = true;
      if (base.trim()) req.base = base.trim();
    }
    if (isShell) {
      try {
        req.command = splitCommand(command);
      } catch (err) {
        setError((err as Error).message);
        return;
      }
      if (!req.command.length) {
        setError('The shell tool runs a command: type one, e.g. make test');
        return;
      }
    }
    setBusy(true);
    try {
      const s = await api.create(req);
      rememberProject(s.projectPath);
      onCreated(s);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="New session" titleId="create-title" onClose={onClose} onSubmit={(e) => void submit(e)}>
      <ToolPicker tools={tools} error={toolsError} tool={tool} onChange={setTool} />

      <fieldset className="modes">
        <legend>Mode</legend>
        <label>
          <input type="radio" name="mode" value="autonomous" checked={mode === 'autonomous'} onChange={() => setMode('autonomous')} />
          <span>
            <strong>Autonomous</strong> <span className="muted small">runs on its own to the end{current?.transcript ? ' (headless, with a transcript)' : ''}</span>
          </span>
        </label>
        <label>
          <input type="radio" name="mode" value="guided" checked={mode === 'guided'} onChange={() => setMode('guided')} />
          <span>
            <strong>Guided</strong> <span className="muted small">an interactive terminal you can type into</span>
          </span>
        </label>
      </fieldset>

      <ProjectField value={project} onChange={setProject} projects={projects} listId="known-projects" />

      <fieldset className="specs">
        <legend>
          Specs <span className="muted small">attached in this order, before the prompt</span>
        </legend>
        {specsError && <p className="muted small">{specsError}</p>}
        {!specsError && specs === null && project.trim().startsWith('/') && <p className="muted small">Looking for specs…</p>}
        {specs && specs.length === 0 && (
          <p className="muted small">
            No specs in <code>{project.trim()}/specs</code> (LeanSpec layout: <code>specs/NNN-name/README.md</code>).
          </p>
        )}
        {selected.length > 0 && (
          <ol className="spec-order" aria-label="Selected specs, in order">
            {selected.map((id, i) => (
              <li key={id}>
                <span className="chip">{id}</span>
                <span className="spec-title">{specs?.find((sp) => sp.id === id)?.title ?? ''}</span>
                <button type="button" className="btn btn-small btn-ghost" onClick={() => move(i, -1)} disabled={i === 0} aria-label={`Move ${id} up`}>
                  ↑
                </button>
                <button type="button" className="btn btn-small btn-ghost" onClick={() => move(i, 1)} disabled={i === selected.length - 1} aria-label={`Move ${id} down`}>
                  ↓
                </button>
                <button type="button" className="btn btn-small btn-ghost" onClick={() => toggleSpec(id)} aria-label={`Remove ${id}`}>
                  ✕
                </button>
              </li>
            ))}
          </ol>
        )}
        {specs && specs.length > 0 && (
          <SpecOptions specs={specs} selected={selected} onToggle={toggleSpec} note={(sp) => sp.status && <span className="muted small">{sp.status}</span>} />
        )}
      </fieldset>

      {isShell && (
        <label className="field">
          <span>Command</span>
          <CodeInput value={command} onChange={(e) => setCommand(e.target.value)} placeholder="make test" name="command" className="mono" />
          <span className="muted small">Split like a shell does (quotes work; no pipes or variables — use sh -c '…' for those).</span>
        </label>
      )}

      <label className="field">
        <span>Prompt {isShell && <span className="muted small">(optional; the command sees it as $LEANSPEC_PROMPT)</span>}</span>
        <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={4} placeholder={isShell ? '' : 'Fix all lint errors'} name="prompt" />
      </label>

      <label className="field field-inline">
        <span>Name</span>
        <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="generated" size={16} maxLength={40} name="name" spellCheck={false} pattern="[A-Za-z0-9._\-]+" />
        <span className="muted small">optional: letters, digits, - _ . (e.g. fix-login); unique among running sessions</span>
      </label>

      <label className="field field-inline">
        <span>Timeout</span>
        <input type="text" value={timeout} onChange={(e) => setTimeoutText(e.target.value)} placeholder="none" size={8} name="timeout" spellCheck={false} />
        <span className="muted small">optional, e.g. 30m or 90s: then the session is stopped and marked failed</span>
      </label>

      <fieldset className="worktree-pick">
        <label className="check">
          <input type="checkbox" checked={worktree} onChange={(e) => setWorktree(e.target.checked)} name="worktree" />
          <span>
            <strong>Run in a git worktree</strong>{' '}
            <span className="muted small">its own checkout on a new branch agentmux/…, merged into the project or discarded when it is done</span>
          </span>
        </label>
        {worktree && (
          <label className="field field-inline">
            <span>Base</span>
            <CodeInput value={base} onChange={(e) => setBase(e.target.value)} placeholder="HEAD" name="base" size={14} />
            <span className="muted small">optional: the branch, tag or commit to start from</span>
          </label>
        )}
      </fieldset>

      <FormError message={error} />

      <DialogFoot start={start} onStart={setStart} onClose={onClose} disabled={busy || !tool || unavailable} label={busy ? 'Creating…' : start ? 'Create and start' : 'Create'} testId="create-submit" />
    </Dialog>
  );
}

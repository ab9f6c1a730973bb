// New session: tool (with availability, version and how to install a missing one), mode,
// project, specs in order, prompt, command for the shell tool; create and start in one call.
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api/http';
import type { Session, Spec, Tool } from '../api/model';
import type { CreateSessionRequest } from '../api/wire';
import { shellQuote, specMatches, splitCommand } from '../data/format';
import { useApp, type CreatePrefill } from './context';
import { ToolPicker } from './ToolPicker';

const LAST_PROJECT = 'agentmux.lastProject';

export function CreateDialog({ prefill, onClose, onCreated }: { prefill: CreatePrefill; onClose: () => void; onCreated: (s: Session) => void }) {
  const { api, tools: loadTools, knownProjects } = useApp();
  const dialog = useRef<HTMLDialogElement>(null);
  const [tools, setTools] = useState<Tool[] | null>(null);
  const [toolsError, setToolsError] = useState<string | null>(null);
  const [tool, setTool] = useState(prefill.tool ?? '');
  const [mode, setMode] = useState(prefill.mode ?? 'autonomous');
  const projects = useMemo(() => knownProjects(), [knownProjects]);
  const [project, setProject] = useState(prefill.projectPath ?? window.localStorage.getItem(LAST_PROJECT) ?? projects[0] ?? '');
  const [specs, setSpecs] = useState<Spec[] | null>(null);
  const [specsError, setSpecsError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string[]>(prefill.specIds ?? []);
  const [prompt, setPrompt] = useState(prefill.prompt ?? '');
  const [command, setCommand] = useState(prefill.command ? prefill.command.map(shellQuote).join(' ') : '');
  const [start, setStart] = useState(true);
  const [timeout, setTimeoutText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  useEffect(() => {
    loadTools()
      .then((t) => {
        setTools(t);
        setTool((cur) => {
          if (cur) return cur;
          if (prefill.command?.length) return 'shell';
          return t.find((x) => x.name === 'claude' && x.available)?.name ?? t.find((x) => x.available)?.name ?? t[0]?.name ?? 'shell';
        });
      })
      .catch((e: Error) => setToolsError(e.message));
  }, [loadTools, prefill.command]);

  // Specs of the project, looked up as the path settles.
  useEffect(() => {
    const path = project.trim();
    setSpecs(null);
    setSpecsError(null);
    if (!path.startsWith('/')) return;
    let alive = true;
    const t = window.setTimeout(() => {
      api
        .specs(path)
        .then((r) => {
          if (!alive) return;
          setSpecs(r.specs);
          // Prefilled ids may be short ("028"): use the spec's full id.
          setSelected((sel) => sel.map((id) => r.specs.find((sp) => specMatches(id, sp.id))?.id ?? id));
        })
        .catch((e: ApiError) => alive && setSpecsError(e.message));
    }, 250);
    return () => {
      alive = false;
      window.clearTimeout(t);
    };
  }, [api, project]);

  const current = tools?.find((t) => t.name === tool) ?? null;
  const isShell = tool === 'shell';
  const unavailable = current !== null && !current.available;

  const toggleSpec = (id: string) => setSelected((sel) => (sel.includes(id) ? sel.filter((x) => x !== id) : [...sel, id]));
  const move = (i: number, d: number) =>
    setSelected((sel) => {
      const j = i + d;
      if (j < 0 || j >= sel.length) return sel;
      const next = sel.slice();
      [next[i], next[j]] = [next[j]!, next[i]!];
      return next;
    });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const req: CreateSessionRequest = { tool, mode, project_path: project.trim(), spec_ids: selected, start };
    if (prompt.trim()) req.prompt = prompt;
    if (timeout.trim()) req.timeout = timeout.trim();
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
      window.localStorage.setItem(LAST_PROJECT, s.projectPath);
      onCreated(s);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="create-title"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === dialog.current) onClose();
      }}
    >
      <form className="create" onSubmit={(e) => void submit(e)}>
        <header className="dialog-head">
          <h2 id="create-title">New session</h2>
          <button type="button" className="btn btn-ghost" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </header>

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

        <label className="field">
          <span>Project path</span>
          <input
            type="text"
            required
            value={project}
            onChange={(e) => setProject(e.target.value)}
            placeholder="/home/me/src/my-project"
            list="known-projects"
            spellCheck={false}
            autoComplete="off"
            name="project"
          />
          <datalist id="known-projects">
            {projects.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </label>

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
            <div className="spec-pick">
              {specs.map((sp) => (
                <label key={sp.id} className="spec-option">
                  <input type="checkbox" checked={selected.includes(sp.id)} onChange={() => toggleSpec(sp.id)} />
                  <span className="chip">{sp.id}</span>
                  <span className="spec-title">{sp.title}</span>
                  {sp.status && <span className="muted small">{sp.status}</span>}
                </label>
              ))}
            </div>
          )}
        </fieldset>

        {isShell && (
          <label className="field">
            <span>Command</span>
            <input
              type="text"
              value={command}
              onChange={(e) => setCommand(e.target.value)}
              placeholder="make test"
              spellCheck={false}
              autoComplete="off"
              name="command"
              className="mono"
            />
            <span className="muted small">Split like a shell does (quotes work; no pipes or variables — use sh -c '…' for those).</span>
          </label>
        )}

        <label className="field">
          <span>Prompt {isShell && <span className="muted small">(optional; the command sees it as $LEANSPEC_PROMPT)</span>}</span>
          <textarea value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={4} placeholder={isShell ? '' : 'Fix all lint errors'} name="prompt" />
        </label>

        <label className="field field-inline">
          <span>Timeout</span>
          <input type="text" value={timeout} onChange={(e) => setTimeoutText(e.target.value)} placeholder="none" size={8} name="timeout" spellCheck={false} />
          <span className="muted small">optional, e.g. 30m or 90s: then the session is stopped and marked failed</span>
        </label>

        {error && (
          <p className="alert alert-error" role="alert">
            {error}
          </p>
        )}

        <footer className="dialog-foot">
          <label className="check">
            <input type="checkbox" checked={start} onChange={(e) => setStart(e.target.checked)} /> Start now
          </label>
          <span className="spacer" />
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy || !tool || unavailable} data-testid="create-submit">
            {busy ? 'Creating…' : start ? 'Create and start' : 'Create'}
          </button>
        </footer>
      </form>
    </dialog>
  );
}

// What the create dialogs (New session, New plan) share: the modal with its title and close
// button, the tools and the project's specs as they load, the project field, the spec checkboxes,
// the error and the footer with "Start now".
import { useEffect, useMemo, useRef, useState, type FormEvent, type InputHTMLAttributes, type ReactNode } from 'react';
import type { ApiError } from '../api/http';
import type { Spec, Tool } from '../api/model';
import { defaultTool } from '../data/choice';
import { useApp } from './context';

const LAST_PROJECT = 'agentmux.lastProject';

/** The next dialog opens on the project of the last one created. */
export function rememberProject(path: string) {
  window.localStorage.setItem(LAST_PROJECT, path);
}

/** A modal dialog around a form; Escape, a click outside and ✕ close it. */
export function Dialog({
  title,
  titleId,
  className = '',
  formLabel,
  onClose,
  onSubmit,
  onChange,
  children,
}: {
  title: string;
  titleId: string;
  className?: string;
  formLabel?: string;
  onClose: () => void;
  onSubmit: (e: FormEvent) => void;
  onChange?: () => void;
  children: ReactNode;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={dialog}
      className={`dialog ${className}`.trim()}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === dialog.current) onClose();
      }}
    >
      <form className="create" onSubmit={onSubmit} onChange={onChange} aria-label={formLabel}>
        <header className="dialog-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="btn btn-ghost" onClick={onClose} aria-label="Close">
            ✕
          </button>
        </header>
        {children}
      </form>
    </dialog>
  );
}

/** GET /api/tools, and the tool picked: `initial`, else shell when `shell`, else the default. */
export function useToolChoice(initial: string, shell = false) {
  const { tools: loadTools } = useApp();
  const [tools, setTools] = useState<Tool[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tool, setTool] = useState(initial);
  useEffect(() => {
    loadTools()
      .then((t) => {
        setTools(t);
        setTool((cur) => cur || (shell ? 'shell' : defaultTool(t)));
      })
      .catch((e: Error) => setError(e.message));
  }, [loadTools, shell]);
  return { tools, toolsError: error, tool, setTool };
}

/** The project path, starting on `initial`, the last one created, or a known one. */
export function useProjectChoice(initial?: string) {
  const { knownProjects } = useApp();
  const projects = useMemo(() => knownProjects(), [knownProjects]);
  const [project, setProject] = useState(initial ?? window.localStorage.getItem(LAST_PROJECT) ?? projects[0] ?? '');
  return { projects, project, setProject };
}

/** The specs of the project, looked up as the path settles. */
export function useProjectSpecs(project: string) {
  const { api } = useApp();
  const [specs, setSpecs] = useState<Spec[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const path = project.trim();
    setSpecs(null);
    setError(null);
    if (!path.startsWith('/')) return;
    let alive = true;
    const t = window.setTimeout(() => {
      api
        .specs(path)
        .then((r) => alive && setSpecs(r.specs))
        .catch((e: ApiError) => alive && setError(e.message));
    }, 250);
    return () => {
      alive = false;
      window.clearTimeout(t);
    };
  }, [api, project]);
  return { specs, specsError: error };
}

/** A text field for paths and commands: no spell check, no autocomplete. */
export function CodeInput(props: InputHTMLAttributes<HTMLInputElement>) {
  return <input type="text" spellCheck={false} autoComplete="off" {...props} />;
}

export function ProjectField({ value, onChange, projects, listId }: { value: string; onChange: (path: string) => void; projects: string[]; listId: string }) {
  return (
    <label className="field">
      <span>Project path</span>
      <CodeInput required value={value} onChange={(e) => onChange(e.target.value)} placeholder="/home/me/src/my-project" list={listId} name="project" />
      <datalist id={listId}>
        {projects.map((p) => (
          <option key={p} value={p} />
        ))}
      </datalist>
    </label>
  );
}

/** A checkbox a spec; `note` says more of a spec (its status, its place in the order). */
export function SpecOptions({ specs, selected, onToggle, note }: { specs: Spec[]; selected: string[]; onToggle: (id: string) => void; note: (sp: Spec) => ReactNode }) {
  return (
    <div className="spec-pick">
      {specs.map((sp) => (
        <label key={sp.id} className="spec-option">
          <input type="checkbox" checked={selected.includes(sp.id)} onChange={() => onToggle(sp.id)} />
          <span className="chip">{sp.id}</span>
          <span className="spec-title">{sp.title}</span>
          {note(sp)}
        </label>
      ))}
    </div>
  );
}

export function FormError({ message, className = '', testId, code }: { message: string | null; className?: string; testId?: string; code?: string | null }) {
  if (!message) return null;
  return (
    <p className={`alert alert-error ${className}`.trim()} role="alert" data-testid={testId} data-code={code ?? undefined}>
      {message}
    </p>
  );
}

/** "Start now", Cancel and the submit button; `children` go first (a footer error). */
export function DialogFoot({
  start,
  onStart,
  onClose,
  disabled,
  label,
  testId,
  children,
}: {
  start: boolean;
  onStart: (start: boolean) => void;
  onClose: () => void;
  disabled: boolean;
  label: string;
  testId: string;
  children?: ReactNode;
}) {
  return (
    <footer className="dialog-foot">
      {children}
      <label className="check">
        <input type="checkbox" checked={start} onChange={(e) => onStart(e.target.checked)} /> Start now
      </label>
      <span className="spacer" />
      <button type="button" className="btn btn-ghost" onClick={onClose}>
        Cancel
      </button>
      <button type="submit" className="btn btn-primary" disabled={disabled} data-testid={testId}>
        {label}
      </button>
    </footer>
  );
}

// The tool choice of the create dialogs: every adapter of GET /api/tools with its availability
// and version, and how to install a missing one.
import type { Tool } from '../api/model';

export function ToolPicker({
  tools,
  error,
  tool,
  onChange,
  name = 'tool',
}: {
  tools: Tool[] | null;
  error: string | null;
  tool: string;
  onChange: (name: string) => void;
  name?: string;
}) {
  const current = tools?.find((t) => t.name === tool) ?? null;
  return (
    <fieldset className="tools">
      <legend>Tool</legend>
      {error && <p className="alert alert-error">{error}</p>}
      {!tools && !error && <p className="muted small">Looking for installed tools…</p>}
      <div className="tool-options">
        {tools?.map((t) => (
          <label key={t.name} className={`tool-option ${tool === t.name ? 'on' : ''} ${t.available ? '' : 'off'}`}>
            <input type="radio" name={name} value={t.name} checked={tool === t.name} onChange={() => onChange(t.name)} />
            <span className="tool-name">{t.name}</span>
            <span className={`tool-avail ${t.available ? 'ok' : 'missing'}`}>{t.available ? (t.version ? `v${t.version}` : 'ready') : 'not installed'}</span>
          </label>
        ))}
      </div>
      {current && !current.available && (
        <p className="install-hint" role="note">
          <strong>{current.name}</strong> is not installed here. {sentence(current.installHint || current.notes.join(' '))}
        </p>
      )}
      {current?.available && current.notes.length > 0 && <p className="muted small">{current.notes.join(' · ')}</p>}
    </fieldset>
  );
}

/** The daemon's hints start in lower case ("install it with …"); here they start a sentence. */
const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

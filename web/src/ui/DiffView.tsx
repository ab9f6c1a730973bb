// The diff of a session (GET /api/sessions/:id/diff), rendered by react-diff-view from the
// daemon's unified patch: a file list with +/− counts that jumps to each file, then each file's
// hunks, unified or side by side, with the changed words marked. Big files fold until asked.
import { useMemo, useState } from 'react';
import { Decoration, Diff, Hunk, markEdits, parseDiff, tokenize, type HunkData, type HunkTokens, type ViewType } from 'react-diff-view';
import 'react-diff-view/style/index.css';
import type { Diff as SessionDiff } from '../api/model';
import { diffSections, FOLD_LINES, hunkLines, shortCommit, STATUS_LETTER, type DiffSection } from '../data/changes';

const VIEW_KEY = 'agentmux.diffView';

export function DiffView({ diff }: { diff: SessionDiff }) {
  const sections = useMemo(() => {
    let parsed: ReturnType<typeof parseDiff> = [];
    try {
      parsed = diff.patch ? parseDiff(diff.patch, { nearbySequences: 'zip' }) : [];
    } catch {
      parsed = []; // the file list still says what changed
    }
    return diffSections<HunkData>(diff.files, parsed);
  }, [diff]);
  const [view, setView] = useState<ViewType>(() => (window.localStorage.getItem(VIEW_KEY) === 'split' ? 'split' : 'unified'));
  const pickView = (v: ViewType) => {
    setView(v);
    window.localStorage.setItem(VIEW_KEY, v);
  };

  if (sections.length === 0) {
    return (
      <div className="diff-empty" data-testid="diff-empty">
        <p>No changes: the files are as they were.</p>
        <p className="muted small">
          <code>{shortCommit(diff.base)}</code> → <code>{shortCommit(diff.head)}</code>
        </p>
      </div>
    );
  }

  const jump = (anchor: string) => {
    const el = document.getElementById(anchor);
    el?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    el?.focus({ preventScroll: true });
  };

  return (
    <div className="diff-view" data-testid="diff-view">
      <div className="diff-summary">
        <strong data-testid="diff-files-count">
          {sections.length} file{sections.length === 1 ? '' : 's'} changed
        </strong>
        <span className="diff-add" data-testid="diff-additions">
          +{diff.additions}
        </span>
        <span className="diff-del" data-testid="diff-deletions">
          −{diff.deletions}
        </span>
        <span className="muted small" title={`${diff.base} → ${diff.head}`}>
          <code>{shortCommit(diff.base)}</code> → <code>{shortCommit(diff.head)}</code>
        </span>
        <span className="spacer" />
        <div className="seg" role="group" aria-label="Diff layout">
          <button type="button" className={`btn btn-small ${view === 'unified' ? 'btn-on' : ''}`} aria-pressed={view === 'unified'} onClick={() => pickView('unified')}>
            Unified
          </button>
          <button type="button" className={`btn btn-small ${view === 'split' ? 'btn-on' : ''}`} aria-pressed={view === 'split'} onClick={() => pickView('split')}>
            Split
          </button>
        </div>
      </div>

      <ul className="diff-files" aria-label="Changed files" data-testid="diff-files">
        {sections.map((sec) => (
          <li key={sec.anchor}>
            <button type="button" className="diff-file-link" onClick={() => jump(sec.anchor)} data-path={sec.file.path}>
              <span className={`diff-status diff-status-${sec.file.status}`} title={sec.file.status}>
                {STATUS_LETTER[sec.file.status] ?? '?'}
              </span>
              <span className="diff-path">
                {sec.file.oldPath && sec.file.oldPath !== sec.file.path && <span className="muted">{sec.file.oldPath} → </span>}
                {sec.file.path}
              </span>
              <FileCounts sec={sec} />
            </button>
          </li>
        ))}
      </ul>

      {sections.map((sec) => (
        <FileDiff key={sec.anchor} sec={sec} view={view} />
      ))}
    </div>
  );
}

function FileCounts({ sec }: { sec: DiffSection<HunkData> }) {
  if (sec.file.binary) return <span className="muted small">binary</span>;
  return (
    <span className="diff-counts" aria-label={`${sec.file.additions} added, ${sec.file.deletions} removed`}>
      <span className="diff-add">+{sec.file.additions}</span> <span className="diff-del">−{sec.file.deletions}</span>
    </span>
  );
}

function FileDiff({ sec, view }: { sec: DiffSection<HunkData>; view: ViewType }) {
  const lines = hunkLines(sec.hunks);
  const [open, setOpen] = useState(lines <= FOLD_LINES);
  const tokens = useMemo<HunkTokens | null>(() => {
    if (!open || !sec.hunks.length || lines > FOLD_LINES) return null;
    try {
      return tokenize(sec.hunks, { enhancers: [markEdits(sec.hunks, { type: 'block' })] });
    } catch {
      return null;
    }
  }, [open, sec.hunks, lines]);
  return (
    <section className="diff-file" id={sec.anchor} tabIndex={-1} aria-label={sec.file.path} data-testid="diff-file" data-path={sec.file.path}>
      <header className="diff-file-head">
        <span className={`diff-status diff-status-${sec.file.status}`}>{STATUS_LETTER[sec.file.status] ?? '?'}</span>
        <code className="diff-path">
          {sec.file.oldPath && sec.file.oldPath !== sec.file.path ? `${sec.file.oldPath} → ` : ''}
          {sec.file.path}
        </code>
        <FileCounts sec={sec} />
      </header>
      {sec.file.binary ? (
        <p className="diff-note muted">Binary file {sec.file.status}: no text diff.</p>
      ) : sec.hunks.length === 0 ? (
        <p className="diff-note muted">{sec.file.status === 'renamed' ? `Renamed from ${sec.file.oldPath ?? '?'}, content unchanged.` : 'No text changes (mode or empty file).'}</p>
      ) : !open ? (
        <p className="diff-note">
          A large diff ({lines.toLocaleString()} lines).{' '}
          <button type="button" className="btn btn-small" onClick={() => setOpen(true)}>
            Show it
          </button>
        </p>
      ) : (
        <Diff viewType={view} diffType={sec.type} hunks={sec.hunks} tokens={tokens} className="diff-table">
          {(hunks) =>
            hunks.flatMap((h) => [
              <Decoration key={`d${h.content}`} className="diff-hunk-head">
                {h.content}
              </Decoration>,
              <Hunk key={`h${h.content}`} hunk={h} />,
            ])
          }
        </Diff>
      )}
    </section>
  );
}

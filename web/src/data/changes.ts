// What a session changed, in words and in order for the Changes tab: the list's +/− counts, the
// diff's files matched with their parsed hunks, the empty states the daemon's errors mean, and
// the checkpoint timeline's labels and the restore question.
import type { Changes, Checkpoint, DiffFile, Session } from '../api/model';
import { isLive } from './status';

/** "+12" "−3" and a title for the list; null when the daemon does not know (yet). */
export function changeCounts(c: Changes | null): { add: string; del: string; title: string } | null {
  if (!c) return null;
  const files = `${c.files} file${c.files === 1 ? '' : 's'} changed`;
  return {
    add: `+${c.additions.toLocaleString('en-US')}`,
    del: `\u2212${c.deletions.toLocaleString('en-US')}`,
    title: `${files}, ${c.additions} line${c.additions === 1 ? '' : 's'} added, ${c.deletions} removed`,
  };
}

/** What the diff parser gives for one file (react-diff-view's parseDiff). */
export interface ParsedFile<H = unknown> {
  oldPath: string;
  newPath: string;
  type: string;
  hunks: H[];
}

export interface DiffSection<H = unknown> {
  file: DiffFile;
  /** The element id the file list jumps to. */
  anchor: string;
  /** Its hunks from the patch; empty for a binary file or a pure rename. */
  hunks: H[];
  /** react-diff-view's DiffType. */
  type: 'add' | 'delete' | 'modify' | 'rename' | 'copy';
}

const DEV_NULL = '/dev/null';
const TYPE_OF: Record<string, DiffSection['type']> = { added: 'add', deleted: 'delete', renamed: 'rename', modified: 'modify' };

/** An id for a path, unique within the diff (`i` is the file's index). */
export function fileAnchor(path: string, i: number): string {
  return `diff-${i}-${path.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 80)}`;
}

function samePath(f: DiffFile, p: ParsedFile): boolean {
  if (f.status === 'deleted') return p.oldPath === f.path;
  if (p.newPath === f.path) return true;
  return p.newPath === DEV_NULL && p.oldPath === f.path;
}

/**
 * The daemon's files (in its order, with its counts) matched with the parsed patch by path; a
 * file the parser named otherwise (quoted paths) takes the next unmatched one in order, and a
 * parsed file the list lacks is added with the counts of its hunks.
 */
export function diffSections<H extends { changes: { type: string }[] }>(files: DiffFile[], all: ParsedFile<H>[]): DiffSection<H>[] {
  const parsed = all.filter((p) => p.oldPath || p.newPath); // an empty patch parses as one nameless file
  const used = new Set<number>();
  const picks = files.map((f) => {
    const i = parsed.findIndex((p, j) => !used.has(j) && samePath(f, p));
    if (i >= 0) used.add(i);
    return i;
  });
  const out: DiffSection<H>[] = files.map((f, k) => {
    let i = picks[k]!;
    if (i < 0 && !f.binary) {
      i = parsed.findIndex((_, j) => !used.has(j) && !picks.includes(j));
      if (i >= 0) used.add(i);
    }
    const p = i >= 0 ? parsed[i] : undefined;
    return { file: f, anchor: fileAnchor(f.path, k), hunks: p?.hunks ?? [], type: TYPE_OF[f.status] ?? (p?.type as DiffSection['type']) ?? 'modify' };
  });
  parsed.forEach((p, j) => {
    if (used.has(j)) return;
    const path = p.newPath === DEV_NULL ? p.oldPath : p.newPath;
    let additions = 0;
    let deletions = 0;
    for (const h of p.hunks)
      for (const c of h.changes) {
        if (c.type === 'insert') additions++;
        else if (c.type === 'delete') deletions++;
      }
    const status = p.type === 'add' ? 'added' : p.type === 'delete' ? 'deleted' : p.type === 'rename' ? 'renamed' : 'modified';
    const file: DiffFile = { path, oldPath: p.type === 'rename' ? p.oldPath : null, status, additions, deletions, binary: false };
    out.push({ file, anchor: fileAnchor(path, out.length), hunks: p.hunks, type: TYPE_OF[status] ?? 'modify' });
  });
  return out;
}

/** Lines in a file's hunks: past a limit the viewer folds the file until asked. */
export function hunkLines(hunks: { changes: unknown[] }[]): number {
  return hunks.reduce((n, h) => n + h.changes.length, 0);
}
export const FOLD_LINES = 1500;

export const STATUS_LETTER: Record<string, string> = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R' };

/** What the Changes tab shows instead of a diff, from the daemon's error code. */
export type DiffState = { kind: 'not_git' | 'no_checkpoints' | 'gone' | 'error'; message: string };
export function diffState(code: string, message: string): DiffState {
  if (code === 'not_a_git_repository') return { kind: 'not_git', message };
  if (code === 'no_checkpoints') return { kind: 'no_checkpoints', message };
  if (code === 'worktree_gone') return { kind: 'gone', message };
  return { kind: 'error', message };
}

/** A discarded worktree has no branch left to diff: the tab says so without asking. */
export function discardedState(s: Pick<Session, 'worktree'>): DiffState | null {
  if (s.worktree?.state !== 'discarded') return null;
  return { kind: 'gone', message: `Its worktree and branch ${s.worktree.branch} were discarded: what it changed is gone.` };
}

/** What the diff compares, in words (docs/api.md "Session" `changes`). */
export function diffCaption(s: Pick<Session, 'worktree' | 'status'>): string {
  if (s.worktree) return `Its branch ${s.worktree.branch} against its base`;
  if (isLive(s.status)) return 'The project now against its before checkpoint';
  return 'Its after checkpoint against its before: what it did, whatever happened to the files since';
}

export const KIND_LABEL: Record<string, string> = {
  before: 'before',
  after: 'after',
  manual: 'manual',
  undo: 'undo',
};
export const KIND_HINT: Record<string, string> = {
  before: 'Taken when the session started',
  after: 'Taken when the session ended',
  manual: 'Taken by hand',
  undo: 'The files just before a restore: restore this to undo it',
};

/** "12:03" today, "Nov 22 12:03" another day (local time). */
export function clockTime(iso: string, now: number = Date.now()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return hm;
  return `${d.toLocaleDateString('en-US', { month: 'short', day: 'numeric' })} ${hm}`;
}

/** "checkpoint 3 (before, 12:03)" */
export function checkpointLabel(cp: Checkpoint, now?: number): string {
  return `checkpoint ${cp.n} (${KIND_LABEL[cp.kind] ?? cp.kind}, ${clockTime(cp.createdAt, now)})`;
}

/** The restore dialog's question: whose files go back to which checkpoint. */
export function restoreQuestion(cp: Checkpoint, s: Pick<Session, 'worktree' | 'projectPath'>, now?: number): string {
  const tree = s.worktree && cp.treePath && cp.treePath === s.worktree.path ? "the session's worktree" : "the project's files";
  return `Put ${tree} back as they were at ${checkpointLabel(cp, now)}? The present is checkpointed first, so you can undo this.`;
}

/** The body of POST /api/checkpoints/:id/restore. */
export function restoreBody(continueIt: boolean, prompt: string): { continue?: true; prompt?: string } {
  if (!continueIt) return {};
  const p = prompt.trim();
  return p ? { continue: true, prompt: p } : { continue: true };
}

/** A worktree's branch can be merged or discarded while it is active and nothing runs in it. */
export function worktreeActions(s: Pick<Session, 'worktree' | 'status'>): { merge: boolean; discard: boolean; why: string | null } {
  const w = s.worktree;
  if (!w || w.state !== 'active') return { merge: false, discard: false, why: w ? `This worktree was ${w.state}.` : null };
  if (isLive(s.status)) return { merge: false, discard: false, why: 'The session is still running in it.' };
  return { merge: true, discard: true, why: null };
}

/** A commit id's first 10 hex digits; anything else (a branch name) as it is. */
export const shortCommit = (c: string) => (/^[0-9a-f]{11,}$/i.test(c) ? c.slice(0, 10) : c);

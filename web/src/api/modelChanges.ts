// The app's types for checkpoints and diffs (docs/api.md "Checkpoint", "Diff"), mapped from the
// wire here; model.ts re-exports them, so the rest of the app imports from './model' as ever.
import type { CheckpointKind, DiffFileStatus, WireCheckpoint, WireDiff } from './wireChanges';

export type { CheckpointKind, DiffFileStatus } from './wireChanges';

/** A commit of a session's working tree (docs/api.md "Checkpoint"). */
export interface Checkpoint {
  id: string;
  sessionId: string;
  n: number;
  kind: CheckpointKind;
  message: string | null;
  createdAt: string;
  gitCommit: string;
  gitRef: string;
  /** The working tree it is of: the project, or the session's worktree. */
  treePath: string;
  agentSessionId: string | null;
  logSeq: number | null;
  /** Files that differ from the previous checkpoint; null for the first. */
  filesChanged: number | null;
}

export interface DiffFile {
  path: string;
  oldPath: string | null;
  status: DiffFileStatus;
  additions: number;
  deletions: number;
  binary: boolean;
}

/** What a session changed (docs/api.md "Diff"): `patch` is the unified diff, '' when omitted. */
export interface Diff {
  sessionId: string;
  base: string;
  head: string;
  files: DiffFile[];
  additions: number;
  deletions: number;
  patch: string;
}

const list = <T>(v: T[] | null | undefined): T[] => (Array.isArray(v) ? v : []);

export function checkpointFromWire(w: WireCheckpoint): Checkpoint {
  return {
    id: w.id,
    sessionId: w.session_id,
    n: w.n,
    kind: w.kind,
    message: w.message || null,
    createdAt: w.created_at,
    gitCommit: w.git_commit ?? '',
    gitRef: w.git_ref ?? '',
    treePath: w.tree_path ?? '',
    agentSessionId: w.agent_session_id ?? null,
    logSeq: w.log_seq ?? null,
    filesChanged: typeof w.files_changed === 'number' ? w.files_changed : null,
  };
}

export function diffFromWire(w: WireDiff): Diff {
  return {
    sessionId: w.session_id,
    base: w.base ?? '',
    head: w.head ?? '',
    files: list(w.files).map((f) => ({
      path: f.path,
      oldPath: f.old_path ?? null,
      status: f.status,
      additions: f.additions ?? 0,
      deletions: f.deletions ?? 0,
      binary: f.binary === true,
    })),
    additions: w.additions ?? 0,
    deletions: w.deletions ?? 0,
    patch: w.patch ?? '',
  };
}

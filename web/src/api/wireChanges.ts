// What a session changed, on the wire (docs/api.md "Session" `worktree` and `changes`,
// "Checkpoint", "Diff", and the routes that serve them). Kept apart from wire.ts, which it
// extends; the *_FIELDS lists are checked against docs/api.md by wire.test.ts.
import type { WireSession } from './wire';

export type WorktreeState = 'active' | 'merged' | 'discarded' | (string & {});

/** A session's own git worktree. */
export interface WireWorktree {
  path: string;
  branch: string;
  base_commit: string;
  state: WorktreeState;
}
export const WIRE_WORKTREE_FIELDS = ['path', 'branch', 'base_commit', 'state'] as const;
export const WORKTREE_STATES = ['active', 'merged', 'discarded'] as const;

/** What a session changed in its project (worktree: its branch; in place: after vs before). */
export interface WireChanges {
  files: number;
  additions: number;
  deletions: number;
}
export const WIRE_CHANGES_FIELDS = ['files', 'additions', 'deletions'] as const;

export type CheckpointKind = 'before' | 'after' | 'manual' | 'undo' | (string & {});
export const CHECKPOINT_KINDS = ['before', 'after', 'manual', 'undo'] as const;

/** A commit of the session's working tree, kept at `git_ref`. */
export interface WireCheckpoint {
  id: string;
  session_id: string;
  /** Its number among the session's checkpoints. */
  n: number;
  kind: CheckpointKind;
  message: string | null;
  created_at: string;
  git_commit: string;
  git_ref: string;
  /** The working tree it is of: the project, or the session's worktree. */
  tree_path: string;
  /** The agent conversation at that point, or null. */
  agent_session_id: string | null;
  log_seq: number | null;
  /** Files that differ from the session's previous checkpoint; null for the first. */
  files_changed: number | null;
  /** What a parent needs to go on ({plan_id, position} for a plan's task), or null. */
  state: Record<string, unknown> | null;
}
export const WIRE_CHECKPOINT_FIELDS = [
  'id',
  'session_id',
  'n',
  'kind',
  'message',
  'created_at',
  'git_commit',
  'git_ref',
  'tree_path',
  'agent_session_id',
  'log_seq',
  'files_changed',
  'state',
] as const;

export type DiffFileStatus = 'added' | 'modified' | 'deleted' | 'renamed' | (string & {});
export const DIFF_FILE_STATUSES = ['added', 'modified', 'deleted', 'renamed'] as const;

export interface WireDiffFile {
  path: string;
  /** The path before a rename (for other files the daemon may repeat `path`, or send null). */
  old_path: string | null;
  status: DiffFileStatus;
  additions: number;
  deletions: number;
  binary: boolean;
}
export const WIRE_DIFF_FILE_FIELDS = ['path', 'old_path', 'status', 'additions', 'deletions', 'binary'] as const;

/** GET /api/sessions/:id/diff: `base`/`head` are the commits compared; `patch` the unified diff. */
export interface WireDiff {
  session_id: string;
  base: string;
  head: string;
  files: WireDiffFile[];
  additions: number;
  deletions: number;
  /** Omitted with `stat`. */
  patch?: string;
}
export const WIRE_DIFF_FIELDS = ['session_id', 'base', 'head', 'files', 'additions', 'deletions', 'patch'] as const;

export interface CheckpointsPage {
  session_id: string;
  checkpoints: WireCheckpoint[];
}

/** POST /api/checkpoints/:id/restore. */
export interface RestoreRequest {
  /** Start a new session resuming the checkpoint's conversation. */
  continue?: boolean;
  prompt?: string;
}
export interface WireRestoreResult {
  restored: WireCheckpoint;
  /** The present, checkpointed before the restore. */
  undo: WireCheckpoint;
  /** The paths written or removed. */
  changed?: string[];
  /** With `continue`: the new running session; else null. */
  session: WireSession | null;
}

/** POST /api/sessions/:id/merge. */
export interface WireMergeResult {
  merged: true;
  fast_forward: boolean;
  commit: string;
  branch: string;
}

// Compile-time proof that each field list names exactly the interface's keys.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const proofs: [
  SameKeys<keyof WireWorktree, (typeof WIRE_WORKTREE_FIELDS)[number]>,
  SameKeys<keyof WireChanges, (typeof WIRE_CHANGES_FIELDS)[number]>,
  SameKeys<keyof WireCheckpoint, (typeof WIRE_CHECKPOINT_FIELDS)[number]>,
  SameKeys<keyof WireDiffFile, (typeof WIRE_DIFF_FILE_FIELDS)[number]>,
  SameKeys<keyof WireDiff, (typeof WIRE_DIFF_FIELDS)[number]>,
] = [true, true, true, true, true];
void proofs;

-- Checkpoints (DESIGN §8, issue 15): a commit of a session's working tree (tracked and untracked
-- files, not ignored ones) made with a private index and referenced from
-- refs/agentmux/checkpoints/<session id>/<n>; the user's HEAD, index and stash are untouched.
CREATE TABLE checkpoints (
  id               TEXT PRIMARY KEY,        -- UUIDv7
  session_id       TEXT NOT NULL,
  n                INTEGER NOT NULL,        -- 1, 2, 3 … per session
  kind             TEXT NOT NULL,           -- before | after | manual | undo
  message          TEXT,
  created_at       TEXT NOT NULL,
  log_seq          INTEGER NOT NULL DEFAULT 0,  -- the session's log when it was taken
  git_commit       TEXT NOT NULL,
  git_ref          TEXT NOT NULL,
  tree_path        TEXT NOT NULL,           -- the working tree it is of (the project, or a worktree)
  agent_session_id TEXT,                    -- the agent's conversation then
  files_changed    INTEGER,                 -- files that differ from the previous checkpoint
  state            TEXT NOT NULL DEFAULT '{}',  -- what a parent needs to continue (plan, position)
  metadata         TEXT NOT NULL DEFAULT '{}',
  UNIQUE (session_id, n),
  FOREIGN KEY (session_id) REFERENCES sessions(id) ON DELETE CASCADE
);
CREATE INDEX idx_checkpoints_session ON checkpoints(session_id, n);

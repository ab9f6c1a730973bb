-- Workflows in the one session model (DESIGN §8, issue 14): a session is an `agent` (a process of
-- its own) or a parent — a `plan`, later a `mapreduce` job — whose children are agent sessions
-- (parent_id) in order (position). `state` is a parent's progress as JSON (plan: its tasks, the
-- task being worked on, the shared conversation, budget and what was spent). Existing rows are
-- agent sessions.
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'agent';
ALTER TABLE sessions ADD COLUMN position INTEGER;
ALTER TABLE sessions ADD COLUMN state TEXT NOT NULL DEFAULT '{}';
CREATE INDEX idx_sessions_kind ON sessions(kind);

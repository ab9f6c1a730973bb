-- The conversation's running totals next to the session's own usage (issue 4): a session that
-- resumes an agent conversation keeps what it used itself in input_tokens… and cost_usd, and the
-- whole conversation's totals here, so nothing is counted twice.
ALTER TABLE sessions ADD COLUMN conversation_input_tokens INTEGER;
ALTER TABLE sessions ADD COLUMN conversation_output_tokens INTEGER;
ALTER TABLE sessions ADD COLUMN conversation_cache_read_tokens INTEGER;
ALTER TABLE sessions ADD COLUMN conversation_cache_creation_tokens INTEGER;
ALTER TABLE sessions ADD COLUMN conversation_cost_usd REAL;
CREATE INDEX idx_sessions_parent ON sessions(parent_id);

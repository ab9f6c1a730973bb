-- Names and attention (issue 16). `name`: a short handle ("brave-otter") usable wherever an id
-- is, unique among live sessions (the manager checks; ended sessions may share one). `attention`:
-- why the session waits for a person — JSON {"reason": "input"|"permission"|"ended", "since": ms,
-- "message": text} — or NULL; set by the engine, cleared by new output or an acknowledgement.
ALTER TABLE sessions ADD COLUMN name TEXT;
ALTER TABLE sessions ADD COLUMN attention TEXT;
CREATE INDEX idx_sessions_name ON sessions(name);

-- Imports a database in the seed-001 shape (sessions.spec_id, one session_logs row per line),
-- renamed to legacy_* by the migrator, into schema v1. Runs in the same transaction as 0001.
INSERT INTO sessions (id, project_path, tool, mode, status, exit_code, started_at, ended_at, duration_ms,
                      token_count, created_at, updated_at)
SELECT id, project_path, tool, mode, status, exit_code, started_at, ended_at, duration_ms, token_count,
       created_at, updated_at
FROM legacy_sessions;

INSERT INTO session_specs (session_id, spec_id, position)
SELECT id, spec_id, 0 FROM legacy_sessions WHERE spec_id IS NOT NULL AND spec_id <> '';

INSERT INTO session_metadata (session_id, key, value)
SELECT session_id, key, value FROM legacy_session_metadata;

-- Each legacy line becomes one chunk holding the line and its newline.
INSERT INTO session_logs (session_id, seq, offset, ts, level, data, line_count)
SELECT session_id,
       ROW_NUMBER() OVER w,
       COALESCE(SUM(length(CAST(message AS BLOB)) + 1) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0),
       CAST(COALESCE(strftime('%s', timestamp), 0) AS INTEGER) * 1000,
       level,
       CAST(message || char(10) AS BLOB),
       1
FROM legacy_session_logs
WINDOW w AS (PARTITION BY session_id ORDER BY id);

UPDATE sessions SET
  log_seq = COALESCE((SELECT MAX(seq) FROM session_logs l WHERE l.session_id = sessions.id), 0),
  log_bytes = COALESCE((SELECT SUM(length(data)) FROM session_logs l WHERE l.session_id = sessions.id), 0);

INSERT INTO session_events (session_id, event_type, data, timestamp)
SELECT session_id, event_type, data, timestamp FROM legacy_session_events ORDER BY id;

DROP TABLE legacy_session_events;
DROP TABLE legacy_session_logs;
DROP TABLE legacy_session_metadata;
DROP TABLE legacy_sessions;

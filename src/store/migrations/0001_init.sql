-- agentmux schema v1 (DESIGN §4). Times: *_at TEXT are RFC 3339 UTC with milliseconds;
-- session_logs.ts is INTEGER milliseconds since the Unix epoch.
CREATE TABLE sessions (
  id                    TEXT PRIMARY KEY,          -- UUIDv7
  project_path          TEXT NOT NULL,
  prompt                TEXT,
  tool                  TEXT NOT NULL,
  mode                  TEXT NOT NULL,             -- guided | autonomous | ralph
  status                TEXT NOT NULL,
  exit_code             INTEGER,
  signal                TEXT,
  pid                   INTEGER,
  started_at            TEXT,
  ended_at              TEXT,
  duration_ms           INTEGER,
  token_count           INTEGER,
  input_tokens          INTEGER,
  output_tokens         INTEGER,
  cache_read_tokens     INTEGER,
  cache_creation_tokens INTEGER,
  cost_usd              REAL,
  num_turns             INTEGER,
  agent_session_id      TEXT,
  parent_id             TEXT,
  command               TEXT NOT NULL DEFAULT '[]', -- JSON argv
  env                   TEXT NOT NULL DEFAULT '{}', -- JSON of kept (non-sensitive) --env values
  context               TEXT NOT NULL DEFAULT '',   -- composed specs + prompt
  error                 TEXT,
  log_seq               INTEGER NOT NULL DEFAULT 0,
  log_bytes             INTEGER NOT NULL DEFAULT 0,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  archived_at           TEXT
);
CREATE INDEX idx_sessions_status ON sessions(status);
CREATE INDEX idx_sessions_tool ON sessions(tool);
CREATE INDEX idx_sessions_project ON sessions(project_path);
CREATE INDEX idx_sessions_created ON sessions(created_at);

CREATE TABLE session_specs (
  session_id TEXT NOT NULL,
  spec_id    TEXT NOT NULL,
  position   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (session_id, spec_id),
  FOREIGN KEY (session_id) REFERENCES sessions(id) ON DELETE CASCADE
);
CREATE INDEX idx_session_specs_spec ON session_specs(spec_id);

CREATE TABLE session_metadata (
  session_id TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (session_id, key),
  FOREIGN KEY (session_id) REFERENCES sessions(id) ON DELETE CASCADE
);

-- One row per PTY/pipe read (<= 64 KiB), not per line: see DESIGN §4.
CREATE TABLE session_logs (
  id         INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  seq        INTEGER NOT NULL,   -- 1, 2, 3 … per session
  offset     INTEGER NOT NULL,   -- bytes before this chunk
  ts         INTEGER NOT NULL,   -- ms since epoch, UTC
  level      TEXT NOT NULL,      -- pty | stdout | stderr | info | error
  data       BLOB NOT NULL,
  line_count INTEGER NOT NULL,   -- number of '\n' in data
  FOREIGN KEY (session_id) REFERENCES sessions(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_session_logs_seq ON session_logs(session_id, seq);

CREATE TABLE session_events (
  id         INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  data       TEXT,               -- JSON payload
  timestamp  TEXT NOT NULL,
  FOREIGN KEY (session_id) REFERENCES sessions(id) ON DELETE CASCADE
);
CREATE INDEX idx_session_events_session ON session_events(session_id, id);

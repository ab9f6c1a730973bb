#include "store/codec.h"

#include "base/clock.h"
#include "proc/redact.h"

namespace agentmux {

using SQLite::Database;
using SQLite::Statement;

namespace {

std::optional<std::string> OptText(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}
std::optional<int64_t> OptInt(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}
std::optional<int64_t> OptTime(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return ParseRfc3339(c.getString());
}
void BindOpt(Statement& st, int i, const std::optional<std::string>& v) {
  v ? st.bind(i, *v) : st.bind(i);
}
void BindOpt(Statement& st, int i, const std::optional<int64_t>& v) {
  v ? st.bind(i, *v) : st.bind(i);
}
void BindOpt(Statement& st, int i, const std::optional<int>& v) {
  v ? st.bind(i, *v) : st.bind(i);
}
void BindTime(Statement& st, int i, const std::optional<int64_t>& v) {
  v ? st.bind(i, Rfc3339(*v)) : st.bind(i);
}
// `j` with every string value passed through the redactor (a plan's task prompts, verify commands).
nlohmann::json RedactStrings(const nlohmann::json& j) {
  if (j.is_string()) return RedactText(j.get<std::string>());
  if (!j.is_structured()) return j;
  nlohmann::json out = j;
  for (auto& v : out) v = RedactStrings(v);
  return out;
}

}  // namespace

const char* const kSessionColumns =
    "id, project_path, prompt, tool, mode, status, exit_code, signal, pid, started_at, ended_at, "
    "duration_ms, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, "
    "num_turns, agent_session_id, parent_id, command, env, context, error, log_seq, log_bytes, created_at, "
    "updated_at, archived_at, token_count, conversation_input_tokens, conversation_output_tokens, "
    "conversation_cache_read_tokens, conversation_cache_creation_tokens, conversation_cost_usd, kind, position, state, name, attention";

namespace {

// Binds the four token columns of `u` (NULLs when absent) at parameter `i`, advancing it.
void BindUsage(Statement& st, int& i, const std::optional<Usage>& u) {
  for (int64_t v : {u ? u->input_tokens : 0, u ? u->output_tokens : 0, u ? u->cache_read_tokens : 0,
                    u ? u->cache_creation_tokens : 0})
    u ? st.bind(i++, v) : st.bind(i++);
}

// Binds columns 2.. of kSessionColumns (everything after id) starting at parameter `first`.
// Every free text passes through the redactor on its way in (credential shapes: issue 11), whoever
// built the record: the last gate before the disk.
void BindSessionFields(Statement& st, int first, const SessionRecord& session) {
  SessionRecord s = session;
  if (s.prompt) s.prompt = RedactText(*s.prompt);
  for (auto& arg : s.command) arg = RedactText(arg);
  for (auto& [k, v] : s.env) v = RedactText(v);
  s.context = RedactText(s.context);
  if (s.error) s.error = RedactText(*s.error);
  int i = first;
  st.bind(i++, s.project_path);
  BindOpt(st, i++, s.prompt);
  st.bind(i++, s.tool);
  st.bind(i++, std::string(ToString(s.mode)));
  st.bind(i++, std::string(ToString(s.status)));
  BindOpt(st, i++, s.exit_code);
  BindOpt(st, i++, s.signal);
  BindOpt(st, i++, s.pid);
  BindTime(st, i++, s.started_at);
  BindTime(st, i++, s.ended_at);
  BindOpt(st, i++, s.duration_ms);
  BindUsage(st, i, s.usage);
  s.cost_usd ? st.bind(i++, *s.cost_usd) : st.bind(i++);
  BindOpt(st, i++, s.num_turns);
  BindOpt(st, i++, s.agent_session_id);
  BindOpt(st, i++, s.parent_id);
  st.bind(i++, nlohmann::json(s.command).dump());
  st.bind(i++, nlohmann::json(s.env).dump());
  st.bind(i++, s.context);
  BindOpt(st, i++, s.error);
  st.bind(i++, s.log_seq);
  st.bind(i++, s.log_bytes);
  st.bind(i++, Rfc3339(s.created_at));
  st.bind(i++, Rfc3339(s.updated_at));
  BindTime(st, i++, s.archived_at);
  s.usage ? st.bind(i++, s.usage->total()) : st.bind(i++);
  BindUsage(st, i, s.conversation_usage);
  s.conversation_cost_usd ? st.bind(i++, *s.conversation_cost_usd) : st.bind(i++);
  st.bind(i++, std::string(ToString(s.kind)));
  BindOpt(st, i++, s.position);
  st.bind(i++, s.state.is_object() ? RedactStrings(s.state).dump() : std::string("{}"));
  s.name.empty() ? st.bind(i++) : st.bind(i++, s.name);
  if (s.attention)
    st.bind(i++, nlohmann::json{{"reason", ToString(s.attention->reason)}, {"since", s.attention->since},
                                {"message", RedactText(s.attention->message)}}.dump());
  else
    st.bind(i++);
}

}  // namespace

SideTables::SideTables(Database& db)
    : specs(db, "SELECT spec_id FROM session_specs WHERE session_id = ? ORDER BY position"),
      meta(db, "SELECT key, value FROM session_metadata WHERE session_id = ?") {}

SessionRecord ReadSessionRow(SideTables& side, Statement& q) {
  SessionRecord s;
  int i = 0;
  s.id = q.getColumn(i++).getString();
  s.project_path = q.getColumn(i++).getString();
  s.prompt = OptText(q.getColumn(i++));
  s.tool = q.getColumn(i++).getString();
  s.mode = ParseSessionMode(q.getColumn(i++).getString()).value_or(SessionMode::kAutonomous);
  s.status = ParseSessionStatus(q.getColumn(i++).getString()).value_or(SessionStatus::kFailed);
  if (auto v = OptInt(q.getColumn(i++))) s.exit_code = static_cast<int>(*v);
  s.signal = OptText(q.getColumn(i++));
  if (auto v = OptInt(q.getColumn(i++))) s.pid = static_cast<int>(*v);
  s.started_at = OptTime(q.getColumn(i++));
  s.ended_at = OptTime(q.getColumn(i++));
  s.duration_ms = OptInt(q.getColumn(i++));
  auto in = OptInt(q.getColumn(i++)), out = OptInt(q.getColumn(i++)), cr = OptInt(q.getColumn(i++)),
       cc = OptInt(q.getColumn(i++));
  if (in || out || cr || cc) s.usage = Usage{in.value_or(0), out.value_or(0), cr.value_or(0), cc.value_or(0)};
  if (!q.getColumn(i).isNull()) s.cost_usd = q.getColumn(i).getDouble();
  ++i;
  s.num_turns = OptInt(q.getColumn(i++));
  s.agent_session_id = OptText(q.getColumn(i++));
  s.parent_id = OptText(q.getColumn(i++));
  s.command = nlohmann::json::parse(q.getColumn(i++).getString(), nullptr, false)
                  .get<std::vector<std::string>>();
  auto env = nlohmann::json::parse(q.getColumn(i++).getString(), nullptr, false);
  if (env.is_object()) s.env = env.get<std::map<std::string, std::string>>();
  s.context = q.getColumn(i++).getString();
  s.error = OptText(q.getColumn(i++));
  s.log_seq = q.getColumn(i++).getInt64();
  s.log_bytes = q.getColumn(i++).getInt64();
  s.created_at = ParseRfc3339(q.getColumn(i++).getString()).value_or(0);
  s.updated_at = ParseRfc3339(q.getColumn(i++).getString()).value_or(0);
  s.archived_at = OptTime(q.getColumn(i++));
  // Legacy rows carry only token_count.
  if (!s.usage && !q.getColumn(i).isNull()) s.usage = Usage{q.getColumn(i).getInt64(), 0, 0, 0};
  ++i;
  auto ci = OptInt(q.getColumn(i++)), co = OptInt(q.getColumn(i++)), ccr = OptInt(q.getColumn(i++)),
       ccc = OptInt(q.getColumn(i++));
  if (ci || co || ccr || ccc) s.conversation_usage = Usage{ci.value_or(0), co.value_or(0), ccr.value_or(0), ccc.value_or(0)};
  if (!q.getColumn(i).isNull()) s.conversation_cost_usd = q.getColumn(i).getDouble();
  ++i;
  // An unknown kind (a newer daemon's) reads as an agent session: shown, never driven.
  s.kind = ParseSessionKind(q.getColumn(i++).getString()).value_or(SessionKind::kAgent);
  s.position = OptInt(q.getColumn(i++));
  auto state = nlohmann::json::parse(q.getColumn(i++).getString(), nullptr, false);
  s.state = state.is_object() ? std::move(state) : nlohmann::json::object();
  s.name = OptText(q.getColumn(i++)).value_or("");
  if (auto att = OptText(q.getColumn(i++))) {
    auto a = nlohmann::json::parse(*att, nullptr, false);
    auto reason = a.is_object() && a["reason"].is_string() ? ParseAttentionReason(a["reason"].get<std::string>()) : std::nullopt;
    if (reason)
      s.attention = Attention{*reason, a.value("since", int64_t{0}), a.value("message", std::string())};
  }

  Statement& specs = side.specs;
  specs.reset();
  specs.bind(1, s.id);
  while (specs.executeStep()) s.spec_ids.push_back(specs.getColumn(0).getString());
  Statement& meta = side.meta;
  meta.reset();
  meta.bind(1, s.id);
  while (meta.executeStep()) s.metadata[meta.getColumn(0).getString()] = meta.getColumn(1).getString();
  return s;
}

void SqliteTxn::InsertSession(const SessionRecord& s) {
  Database& db = db_;
  Statement st(db, std::string("INSERT INTO sessions (") + kSessionColumns +
                       ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  st.bind(1, s.id);
  BindSessionFields(st, 2, s);
  st.exec();
  for (size_t i = 0; i < s.spec_ids.size(); ++i) {
    Statement sp(db, "INSERT INTO session_specs (session_id, spec_id, position) VALUES (?, ?, ?)");
    sp.bind(1, s.id);
    sp.bind(2, s.spec_ids[i]);
    sp.bind(3, static_cast<int64_t>(i));
    sp.exec();
  }
  for (const auto& [k, v] : s.metadata) {
    Statement m(db, "INSERT INTO session_metadata (session_id, key, value) VALUES (?, ?, ?)");
    m.bind(1, s.id);
    m.bind(2, k);
    m.bind(3, RedactText(v));
    m.exec();
  }
}

void SqliteTxn::UpdateSession(const SessionRecord& s) {
  Database& db = db_;
  Statement st(db,
               "UPDATE sessions SET project_path=?, prompt=?, tool=?, mode=?, status=?, exit_code=?, signal=?, "
               "pid=?, started_at=?, ended_at=?, duration_ms=?, input_tokens=?, output_tokens=?, "
               "cache_read_tokens=?, cache_creation_tokens=?, cost_usd=?, num_turns=?, agent_session_id=?, "
               "parent_id=?, command=?, env=?, context=?, error=?, log_seq=?, log_bytes=?, created_at=?, "
               "updated_at=?, archived_at=?, token_count=?, conversation_input_tokens=?, conversation_output_tokens=?, "
               "conversation_cache_read_tokens=?, conversation_cache_creation_tokens=?, conversation_cost_usd=?, kind=?, "
               "position=?, state=?, name=?, attention=? WHERE id=?");
  BindSessionFields(st, 1, s);
  st.bind(40, s.id);
  if (st.exec() != 1) throw std::runtime_error("session " + s.id + " is not in the database");
  Statement del(db, "DELETE FROM session_metadata WHERE session_id = ?");
  del.bind(1, s.id);
  del.exec();
  for (const auto& [k, v] : s.metadata) {
    Statement m(db, "INSERT INTO session_metadata (session_id, key, value) VALUES (?, ?, ?)");
    m.bind(1, s.id);
    m.bind(2, k);
    m.bind(3, RedactText(v));
    m.exec();
  }
}

int64_t SqliteTxn::InsertEvent(const std::string& session_id, const std::string& type, const nlohmann::json& data,
                               int64_t ts_ms) {
  Database& db = db_;
  Statement st(db, "INSERT INTO session_events (session_id, event_type, data, timestamp) VALUES (?, ?, ?, ?)");
  nlohmann::json safe = data;
  RedactJson(safe);  // payloads quote agents, argv and prompts: no credential reaches the disk
  st.bind(1, session_id);
  st.bind(2, type);
  st.bind(3, safe.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  st.bind(4, Rfc3339(ts_ms));
  st.exec();
  return db.getLastInsertRowid();
}

void SqliteTxn::SetMetadata(const std::string& session_id, const std::string& key, const std::string& value) {
  Database& db = db_;
  Statement st(db, "INSERT OR REPLACE INTO session_metadata (session_id, key, value) VALUES (?, ?, ?)");
  st.bind(1, session_id);
  st.bind(2, key);
  st.bind(3, RedactText(value));
  st.exec();
}

void SqliteTxn::DeleteSession(const std::string& session_id) {
  Database& db = db_;
  Statement cp(db, "DELETE FROM checkpoints WHERE session_id = ?");
  cp.bind(1, session_id);
  cp.exec();
  Statement st(db, "DELETE FROM sessions WHERE id = ?");
  st.bind(1, session_id);
  st.exec();
}

const char* const kCheckpointColumns =
    "id, session_id, n, kind, message, created_at, log_seq, git_commit, git_ref, tree_path, agent_session_id, "
    "files_changed, state, metadata";

void SqliteTxn::InsertCheckpoint(const CheckpointRecord& c) {
  Statement st(db_, std::string("INSERT INTO checkpoints (") + kCheckpointColumns +
                        ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  int i = 1;
  st.bind(i++, c.id);
  st.bind(i++, c.session_id);
  st.bind(i++, c.n);
  st.bind(i++, c.kind);
  BindOpt(st, i++, c.message ? std::optional(RedactText(*c.message)) : std::nullopt);
  st.bind(i++, Rfc3339(c.created_at));
  st.bind(i++, c.log_seq);
  st.bind(i++, c.git_commit);
  st.bind(i++, c.git_ref);
  st.bind(i++, c.tree_path);
  BindOpt(st, i++, c.agent_session_id);
  BindOpt(st, i++, c.files_changed);
  st.bind(i++, RedactStrings(c.state).dump());
  st.bind(i++, RedactStrings(c.metadata).dump());
  st.exec();
}

CheckpointRecord ReadCheckpointRow(Statement& q) {
  CheckpointRecord c;
  int i = 0;
  c.id = q.getColumn(i++).getString();
  c.session_id = q.getColumn(i++).getString();
  c.n = q.getColumn(i++).getInt64();
  c.kind = q.getColumn(i++).getString();
  c.message = OptText(q.getColumn(i++));
  c.created_at = ParseRfc3339(q.getColumn(i++).getString()).value_or(0);
  c.log_seq = q.getColumn(i++).getInt64();
  c.git_commit = q.getColumn(i++).getString();
  c.git_ref = q.getColumn(i++).getString();
  c.tree_path = q.getColumn(i++).getString();
  c.agent_session_id = OptText(q.getColumn(i++));
  c.files_changed = OptInt(q.getColumn(i++));
  for (auto* field : {&c.state, &c.metadata}) {
    auto j = nlohmann::json::parse(q.getColumn(i++).getString(), nullptr, false);
    *field = j.is_object() ? std::move(j) : nlohmann::json::object();
  }
  return c;
}

}  // namespace agentmux

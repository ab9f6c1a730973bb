#include "api/api.h"

#include <boost/url/parse.hpp>
#include <boost/url/src.hpp>  // Boost.URL, header-only build: only in this translation unit
#include <unistd.h>

#include <algorithm>

#include "base/clock.h"
#include "api/transcript_stream.h"
#include "base/json_access.h"
#include "model/state.h"
#include "session/manager.h"
#include "specs/specs.h"
#include "workflow/checkpoints.h"
#include "workflow/plans.h"

namespace agentmux {
using nlohmann::json;

namespace {

constexpr size_t kMaxJsonLogBytes = 8u << 20;
constexpr size_t kMaxRawLogBytes = 16u << 20;
// The most log a transcript is built from (it is read whole into memory first).
constexpr size_t kMaxTranscriptLogBytes = 256u << 20;

Error BadRequest(const std::string& message) { return Error::InvalidArgument("bad_request", message); }

// The route's declared body fields, type-checked before its handler runs (unknown fields are
// ignored, null counts as absent). Throws FieldError naming the first wrong one.
void CheckFields(const Route& route, const json& body) {
  for (const auto& f : route.fields) {
    switch (f.type) {
      case FieldType::kString: (void)Field<std::string>(body, f.name); break;
      case FieldType::kBool: (void)Field<bool>(body, f.name); break;
      case FieldType::kInt: (void)Field<int64_t>(body, f.name); break;
      case FieldType::kStringList: (void)Field<std::vector<std::string>>(body, f.name); break;
      case FieldType::kStringMap: (void)Field<std::map<std::string, std::string>>(body, f.name); break;
      case FieldType::kObject:
        if (body.contains(f.name) && !body[f.name].is_null() && !body[f.name].is_object())
          throw FieldError(std::string("field '") + f.name + "' must be an object");
        break;
      case FieldType::kArray:
        if (body.contains(f.name) && !body[f.name].is_null() && !body[f.name].is_array())
          throw FieldError(std::string("field '") + f.name + "' must be an array");
        break;
    }
  }
}

Result<CreateRequest> ParseCreate(const json& body) {
  CreateRequest req;
  try {
    req.tool = Field<std::string>(body, "tool").value_or("");
    if (auto mode = Field<std::string>(body, "mode")) {
      auto m = ParseSessionMode(*mode);
      if (!m || *m == SessionMode::kRalph)
        return Error::InvalidArgument("bad_mode", "mode must be 'guided' or 'autonomous', not '" + *mode +
                                                      "' (ralph: POST /api/plans, or `agentmux run --until CMD`)");
      req.mode = *m;
    }
    req.project_path = Field<std::string>(body, "project_path").value_or("");
    if (body.contains("spec_ids") && !body["spec_ids"].is_null()) {
      req.spec_ids = Field<std::vector<std::string>>(body, "spec_ids").value();
    } else if (auto one = Field<std::string>(body, "spec_id")) {
      req.spec_ids = {*one};  // deprecated alias (seed 000)
    }
    req.prompt = Field<std::string>(body, "prompt");
    req.command = Field<std::vector<std::string>>(body, "command").value_or(std::vector<std::string>{});
    req.env = Field<std::map<std::string, std::string>>(body, "env").value_or(std::map<std::string, std::string>{});
    req.parent_id = Field<std::string>(body, "parent_id");
    if (auto t = Field<int64_t>(body, "timeout_ms")) req.timeout_ms = *t;
    if (auto t = Field<std::string>(body, "timeout")) {
      auto ms = ParseDuration(*t);
      if (!ms) return Error::InvalidArgument("bad_timeout", "timeout takes a duration like 90s, 5m or 1h, not '" + *t + "'");
      req.timeout_ms = *ms;
    }
    req.cols = static_cast<unsigned short>(std::clamp<int64_t>(Field<int64_t>(body, "cols").value_or(0), 0, 1000));
    req.rows = static_cast<unsigned short>(std::clamp<int64_t>(Field<int64_t>(body, "rows").value_or(0), 0, 1000));
    req.start_requested = Field<bool>(body, "start").value_or(false);
    req.worktree = Field<bool>(body, "worktree").value_or(false);
    req.base = Field<std::string>(body, "base");
    req.name = Field<std::string>(body, "name").value_or("");
    req.caller_env = Field<std::map<std::string, std::string>>(body, "environment");
  } catch (const FieldError& e) {
    return Error::InvalidArgument("bad_field", e.what());
  }
  return req;
}

json SpecToJson(const Spec& s) {
  return {{"id", s.id}, {"title", s.title}, {"status", s.status}, {"path", s.path}};
}

}  // namespace

json SessionJson(const SessionRecord& s, const AdapterRegistry& adapters, bool with_context) {
  json j = ToJson(s, with_context);
  j["transcript"] = adapters.NewTranscriptBuilder(s) != nullptr;
  return j;
}

ApiResponse Api::SessionResponse(int status, const Result<SessionRecord>& r) const {
  return r.ok() ? JsonResponse(status, SessionJson(*r, manager_.adapters())) : ErrorResponse(r.error());
}

Api::Api(SessionManager& manager, PlanDriver* plans, Checkpoints* checkpoints)
    : manager_(manager), plans_(plans), checkpoints_(checkpoints), started_ms_(NowMs()) {}

ApiResponse Api::Handle(const ApiRequest& req) {
  try {
    auto url = boost::urls::parse_origin_form(req.target);
    if (!url) return ErrorResponse(BadRequest("malformed request target"));
    std::vector<std::string> parts;
    for (auto seg : url->segments()) parts.push_back(std::string(seg));
    ApiCall call;
    call.request = &req;
    for (auto p : url->params()) call.query[std::string(p.key)] = std::string(p.value);
    // The route whose path matches (":id" matches one segment), then its method.
    const Route* route = nullptr;
    bool path_matched = false;
    std::string id;
    for (const Route& r : Routes()) {
      std::vector<std::string> pattern;
      std::string path = r.path;
      for (size_t start = 1; start <= path.size();) {
        size_t slash = path.find('/', start);
        pattern.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        start = slash == std::string::npos ? path.size() + 1 : slash + 1;
      }
      if (pattern.size() != parts.size()) continue;
      bool match = true;
      std::string this_id;
      for (size_t i = 0; i < parts.size() && match; ++i) {
        if (pattern[i] == ":id") this_id = parts[i];
        else match = pattern[i] == parts[i];
      }
      if (!match) continue;
      path_matched = true;
      if (req.method != r.method || !r.handler) continue;
      route = &r;
      id = this_id;
      break;
    }
    if (!route)
      return ErrorResponse(Error::NotFound("no_route", std::string(path_matched ? "no such method for this route: "
                                                                                : "no such API route: ") +
                                                           req.method + " " + std::string(url->path())));
    if (!req.body.empty() && req.method != "GET") {
      call.body = json::parse(req.body, nullptr, false);
      if (call.body.is_discarded()) return ErrorResponse(Error::InvalidArgument("bad_json", "the request body is not valid JSON"));
      if (!call.body.is_object())
        return ErrorResponse(Error::InvalidArgument("bad_json", "the request body must be a JSON object"));
    }
    CheckFields(*route, call.body);
    if (!route->id_is_session) {
      call.param = id;
    } else if (!id.empty()) {
      auto rec = manager_.Get(id);
      if (!rec.ok()) return ErrorResponse(rec.error());
      call.session = std::move(*rec);
    }
    return (this->*route->handler)(call);
  } catch (const std::invalid_argument& e) {
    return ErrorResponse(BadRequest(e.what()));
  } catch (const FieldError& e) {
    return ErrorResponse(Error::InvalidArgument("bad_field", e.what()));
  } catch (const StoreCorrupt& e) {
    return ErrorResponse(Error::Unavailable("store_corrupt", e.what()));
  } catch (const std::exception& e) {
    return ErrorResponse(Error::Internal(e.what()));
  }
}

ApiResponse Api::Health(const ApiCall&) {
  return JsonResponse(200, {{"status", "ok"}, {"version", kAgentmuxVersion}, {"protocol", kProtocolVersion},
                            {"pid", ::getpid()}, {"uptime_ms", NowMs() - started_ms_},
                            {"sessions_live", manager_.live_count()},
                            {"schema_version", manager_.store().schema_version()},
                            {"store_integrity", manager_.store().integrity()},
                            // "ok", or why nothing can be written now ("disk full: …"): agents'
                            // output is held back (not lost) until it clears.
                            {"store", manager_.store().health()}});
}

ApiResponse Api::ListRoutes(const ApiCall&) {
  static const char* kTypes[] = {"string", "boolean", "integer", "string[]", "object", "object", "array"};
  json routes = json::array();
  for (const Route& r : Routes()) {
    json fields = json::object();
    for (const auto& f : r.fields) fields[f.name] = kTypes[static_cast<int>(f.type)];
    routes.push_back({{"method", r.method}, {"path", r.path}, {"fields", fields}, {"doc", r.doc},
                      {"websocket", r.handler == nullptr}});
  }
  return JsonResponse(200, {{"routes", routes}});
}

ApiResponse Api::Tools(const ApiCall&) {
  json tools = json::array();
  for (const auto* a : manager_.adapters().All()) {
    ToolInfo t = a->Inspect(manager_.path_env());
    tools.push_back({{"name", t.name}, {"available", t.available},
                     {"binary_path", t.binary_path ? json(*t.binary_path) : json(nullptr)},
                     {"version", t.version ? json(*t.version) : json(nullptr)},
                     {"install_hint", t.install_hint}, {"notes", t.notes},
                     // whether its autonomous sessions have transcript items
                     {"transcript", a->NewTranscriptBuilder() != nullptr}});
  }
  return JsonResponse(200, {{"tools", tools}});
}

ApiResponse Api::Specs(const ApiCall& c) {
  auto project = StrParam(c.query, "project");
  if (!project) return ErrorResponse(Error::InvalidArgument("missing_project", "give ?project=PATH"));
  json specs = json::array();
  for (const auto& s : ListSpecs(*project)) specs.push_back(SpecToJson(s));
  return JsonResponse(200, {{"project", *project}, {"specs", specs}});
}

ApiResponse Api::ListSessions(const ApiCall& c) {
  SessionFilter f;
  f.status = StrParam(c.query, "status");
  f.tool = StrParam(c.query, "tool");
  f.spec = StrParam(c.query, "spec");
  f.project = StrParam(c.query, "project");
  f.kind = StrParam(c.query, "kind");
  f.parent_id = StrParam(c.query, "parent_id");
  if (auto a = StrParam(c.query, "attention")) f.attention = *a != "0" && *a != "false";
  if (f.kind && !ParseSessionKind(*f.kind))
    return ErrorResponse(Error::InvalidArgument("bad_kind", "unknown kind '" + *f.kind + "' (agent, plan, mapreduce)"));
  f.before_id = StrParam(c.query, "cursor");
  f.limit = static_cast<int>(std::clamp<int64_t>(IntParam(c.query, "limit").value_or(100), 1, 1000));
  if (f.status && !ParseSessionStatus(*f.status))
    return ErrorResponse(Error::InvalidArgument("bad_status", "unknown status '" + *f.status + "'"));
  auto rows = manager_.List(f);
  json list = json::array();
  for (const auto& s : rows) list.push_back(SessionJson(s, manager_.adapters()));
  json out = {{"sessions", list}, {"next_cursor", nullptr}};
  // Clients show a banner while the store cannot write (issue 11: a full disk was silent).
  if (!manager_.store().writable()) out["store"] = manager_.store().health();
  if (static_cast<int>(rows.size()) == f.limit) out["next_cursor"] = rows.back().id;
  return JsonResponse(200, out);
}

ApiResponse Api::CreateSession(const ApiCall& c) {
  auto create = ParseCreate(c.body);
  if (!create.ok()) return ErrorResponse(create.error());
  if (create->worktree) {
    if (!checkpoints_) return ErrorResponse(Error::Unavailable("no_driver", "this daemon does not make worktrees"));
    if (auto st = checkpoints_->CheckWorktreeRequest(create->project_path); !st.ok()) return ErrorResponse(st.error());
  }
  bool start = create->start_requested;
  auto rec = manager_.Create(std::move(*create));
  if (!rec.ok()) return ErrorResponse(rec.error());
  if (!start) return SessionResponse(201, rec);
  auto started = manager_.Start(rec->id);
  if (!started.ok()) {
    // Nothing ran: do not leave a pending session behind a failed create-and-start.
    (void)manager_.Delete(rec->id);
    return ErrorResponse(started.error());
  }
  return SessionResponse(201, started);
}

// POST /api/plans: a plan file's text ("source", named by "file") or its fields as JSON.
ApiResponse Api::CreatePlan(const ApiCall& c) {
  if (!plans_) return ErrorResponse(Error::Unavailable("no_driver", "this daemon does not run plans"));
  auto source = Field<std::string>(c.body, "source");
  auto def = source ? ParsePlan(*source, Field<std::string>(c.body, "file").value_or("plan")) : PlanFromJson(c.body);
  if (!def.ok()) return ErrorResponse(def.error());
  // A relative project in a file is relative to the file's directory, sent as project_path.
  std::string cwd;
  if (source) {
    cwd = Field<std::string>(c.body, "project_path").value_or("");
  }
  if (!source && def->project.empty())
    return ErrorResponse(Error::InvalidArgument("bad_project_path", "project_path is required"));
  try {
    def->caller_env = Field<std::map<std::string, std::string>>(c.body, "environment");
  } catch (const FieldError& e) {
    return ErrorResponse(Error::InvalidArgument("bad_field", e.what()));
  }
  return SessionResponse(201, plans_->Create(*def, cwd, Field<bool>(c.body, "start").value_or(true)));
}

ApiResponse Api::GetSession(const ApiCall& c) {
  return JsonResponse(200, SessionJson(c.session, manager_.adapters(), c.query.count("context") > 0));
}

ApiResponse Api::DeleteSession(const ApiCall& c) {
  if (checkpoints_ && !manager_.IsLive(c.session.id) && IsTerminal(c.session.status)) {
    if (auto st = checkpoints_->BeforeDelete(c.session, c.query.count("force") > 0); !st.ok())
      return ErrorResponse(st.error());
  }
  if (auto st = manager_.Delete(c.session.id); !st.ok()) return ErrorResponse(st.error());
  return JsonResponse(200, {{"deleted", c.session.id}});
}

ApiResponse Api::Acknowledge(const ApiCall& c) { return SessionResponse(200, manager_.Acknowledge(c.session.id)); }
ApiResponse Api::Start(const ApiCall& c) { return SessionResponse(200, manager_.Start(c.session.id)); }
ApiResponse Api::Pause(const ApiCall& c) { return SessionResponse(200, manager_.Pause(c.session.id)); }
ApiResponse Api::Resume(const ApiCall& c) { return SessionResponse(200, manager_.Resume(c.session.id)); }

ApiResponse Api::Stop(const ApiCall& c) {
  std::optional<int64_t> grace = Field<int64_t>(c.body, "grace_ms");
  if (grace && (*grace < 0 || *grace > 3'600'000))
    return ErrorResponse(Error::InvalidArgument("bad_field", "field 'grace_ms' must be 0 to 3600000 (ms)"));
  return SessionResponse(200, manager_.Stop(c.session.id, grace));
}

ApiResponse Api::Continue(const ApiCall& c) {
  std::optional<std::string> prompt = Field<std::string>(c.body, "prompt");
  std::string fallback = Field<std::string>(c.body, "fallback").value_or("none");
  if (fallback != "none" && fallback != "fresh")
    return ErrorResponse(Error::InvalidArgument("bad_fallback", "fallback is 'fresh' or 'none'"));
  return SessionResponse(201, manager_.Continue(c.session.id, prompt, fallback == "fresh"));
}

ApiResponse Api::Retry(const ApiCall& c) { return SessionResponse(201, manager_.Retry(c.session.id)); }

ApiResponse Api::Events(const ApiCall& c) {
  int64_t after = IntParam(c.query, "after_id").value_or(0);
  int limit = static_cast<int>(std::clamp<int64_t>(IntParam(c.query, "limit").value_or(1000), 1, 10000));
  json events = json::array();
  for (const auto& e : manager_.Events(c.session.id, after, limit)) events.push_back(ToJson(e));
  return JsonResponse(200, {{"session_id", c.session.id}, {"events", events}});
}

ApiResponse Api::Transcript(const ApiCall& c) {
  const SessionRecord& s = c.session;
  auto builder = manager_.adapters().NewTranscriptBuilder(s);
  if (!builder)
    return ErrorResponse(Error::InvalidArgument(
        "no_transcript", "session " + s.id + " (" + s.tool + ", " + std::string(ToString(s.mode)) +
                             ") has no transcript: its output is a terminal stream; read it with GET /api/sessions/" +
                             s.id + "/logs (transcripts are made of the structured output of autonomous agent sessions)"));
  // The whole log: read here (the store is read on the loop thread), built on the server's
  // blocking pool (parsing every line of a long run would hold up every other client).
  std::vector<LogChunkPtr> chunks;
  size_t bytes = 0;
  for (int64_t after = 0;;) {
    auto page = manager_.ReadLogs(s.id, after, 4096, kMaxJsonLogBytes);
    if (page.empty()) break;
    for (auto& chunk : page) {
      bytes += chunk->data.size();
      chunks.push_back(std::move(chunk));
    }
    after = chunks.back()->seq;
    if (bytes > kMaxTranscriptLogBytes)
      return ErrorResponse(Error::InvalidArgument(
          "log_too_large", "session " + s.id + "'s log is over " + std::to_string(kMaxTranscriptLogBytes >> 20) +
                               " MiB, too much to build a transcript from in one answer; read it with GET /api/sessions/" +
                               s.id + "/logs"));
  }
  bool ended = IsTerminal(s.status) && (chunks.empty() ? 0 : chunks.back()->seq) >= s.log_seq;
  ApiResponse r;
  auto owned = std::make_shared<std::unique_ptr<TranscriptBuilder>>(std::move(builder));
  r.finish = [id = s.id, owned, chunks = std::move(chunks), ended]() {
    try {
      return JsonResponse(200, TranscriptJson(id, std::move(*owned), chunks, ended));
    } catch (const std::exception& e) {
      return ErrorResponse(Error::Internal(std::string("building the transcript failed: ") + e.what()));
    }
  };
  return r;
}

ApiResponse Api::Logs(const ApiCall& c) {
  const std::string& id = c.session.id;
  const Query& q = c.query;
  bool raw = StrParam(q, "format").value_or("json") == "raw";
  int64_t after = IntParam(q, "after_seq").value_or(0);
  size_t limit = static_cast<size_t>(std::clamp<int64_t>(IntParam(q, "limit").value_or(100000), 1, 1000000));
  size_t trim_lines = 0;
  if (auto tail = IntParam(q, "tail")) {
    if (*tail < 0) return ErrorResponse(Error::InvalidArgument("bad_tail", "tail must be ≥ 0"));
    after = std::max(after, manager_.TailStartSeq(id, *tail) - 1);
    trim_lines = static_cast<size_t>(*tail);
  }
  auto chunks = manager_.ReadLogs(id, after, limit, raw ? kMaxRawLogBytes : kMaxJsonLogBytes);
  // --tail: drop the leading lines of the first chunk beyond the N requested.
  std::string first_trimmed;
  size_t skip = 0;
  if (c.query.count("tail") && !chunks.empty()) {
    size_t newlines = 0;
    for (const auto& c : chunks) newlines += static_cast<size_t>(c->line_count);
    bool partial_last = chunks.back()->data.empty() || chunks.back()->data.back() != '\n';
    size_t total_lines = newlines + (partial_last ? 1 : 0);
    size_t drop = total_lines > trim_lines ? total_lines - trim_lines : 0;
    const std::string& d = chunks.front()->data;
    size_t pos = 0;
    for (size_t k = 0; k < drop && pos < d.size(); ++k) {
      size_t nl = d.find('\n', pos);
      pos = nl == std::string::npos ? d.size() : nl + 1;
    }
    skip = pos;
    if (trim_lines == 0) chunks.clear(), skip = 0;
  }
  int64_t last_seq = chunks.empty() ? after : chunks.back()->seq;
  auto current = manager_.Get(id);
  std::string status = current.ok() ? std::string(ToString(current->status)) : "";
  if (raw) {
    ApiResponse r;
    r.content_type = "application/octet-stream";
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (i == 0) r.body.append(chunks[i]->data, skip);
      else r.body += chunks[i]->data;
    }
    r.headers = {{"X-Agentmux-Last-Seq", std::to_string(last_seq)}, {"X-Agentmux-Status", status}};
    return r;
  }
  json list = json::array();
  for (size_t i = 0; i < chunks.size(); ++i) {
    json item = ChunkToJson(*chunks[i]);
    if (i == 0 && skip > 0) {
      item["data"] = Base64Encode(std::string_view(chunks[i]->data).substr(skip));
      item["offset"] = chunks[i]->offset + static_cast<int64_t>(skip);
    }
    list.push_back(std::move(item));
  }
  return JsonResponse(200, {{"session_id", id}, {"status", status}, {"chunks", list}, {"last_seq", last_seq},
                            {"log_seq", current.ok() ? current->log_seq : 0}});
}

}  // namespace agentmux

#include "api/api.h"

#include <boost/url/parse.hpp>
#include <boost/url/src.hpp>  // Boost.URL, header-only build: only in this translation unit
#include <unistd.h>

#include "base/clock.h"
#include "session/manager.h"
#include "specs/specs.h"

namespace agentmux {
using nlohmann::json;

namespace {

constexpr size_t kMaxJsonLogBytes = 8u << 20;
constexpr size_t kMaxRawLogBytes = 16u << 20;

Error BadRequest(const std::string& message) { return Error::InvalidArgument("bad_request", message); }

std::optional<int64_t> IntParam(const std::map<std::string, std::string>& q, const std::string& key) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  try {
    size_t used = 0;
    int64_t v = std::stoll(it->second, &used);
    if (used != it->second.size()) throw std::invalid_argument(key);
    return v;
  } catch (...) {
    throw std::invalid_argument("query parameter '" + key + "' must be an integer");
  }
}

std::optional<std::string> StrParam(const std::map<std::string, std::string>& q, const std::string& key) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

// A request body field of the wrong type: 400 bad_field naming the field and the type expected.
struct FieldError : std::domain_error {
  using std::domain_error::domain_error;
};

const char* TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number with a fraction";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "null";
  }
}

[[noreturn]] void WrongType(const char* key, const char* want, const json& got) {
  throw FieldError(std::string("field '") + key + "' must be " + want + ", not " + TypeName(got));
}

// Reads an optional field of type T, strictly: no conversion between JSON types (a "yes" is not a
// boolean, 1.5 is not an integer); null counts as absent. A present field of another type throws
// FieldError.
template <typename T>
std::optional<T> Field(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  const json& v = *it;
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) WrongType(key, "a boolean (true or false)", v);
    return v.get<bool>();
  } else if constexpr (std::is_same_v<T, int64_t>) {
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)))
      WrongType(key, "an integer", v);
    return v.get<int64_t>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) WrongType(key, "a string", v);
    return v.get<std::string>();
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (!v.is_array()) WrongType(key, "an array of strings", v);
    for (const auto& e : v)
      if (!e.is_string()) WrongType(key, "an array of strings", e);
    return v.get<std::vector<std::string>>();
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    if (!v.is_object()) WrongType(key, "an object of strings", v);
    for (const auto& [k, e] : v.items())
      if (!e.is_string()) WrongType(key, "an object of strings", e);
    return v.get<std::map<std::string, std::string>>();
  } else {
    static_assert(sizeof(T) == 0, "no reader for this field type");
  }
}

Result<CreateRequest> ParseCreate(const json& body) {
  CreateRequest req;
  try {
    req.tool = Field<std::string>(body, "tool").value_or("");
    if (auto mode = Field<std::string>(body, "mode")) {
      auto m = ParseSessionMode(*mode);
      if (!m) return Error::InvalidArgument("bad_mode", "mode must be 'guided' or 'autonomous', not '" + *mode + "'");
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
  } catch (const FieldError& e) {
    return Error::InvalidArgument("bad_field", e.what());
  }
  return req;
}

json SpecToJson(const Spec& s) {
  return {{"id", s.id}, {"title", s.title}, {"status", s.status}, {"path", s.path}};
}

}  // namespace

json ChunkToJson(const LogChunk& c) {
  return {{"seq", c.seq}, {"offset", c.offset}, {"timestamp", Rfc3339(c.ts)}, {"ts_ms", c.ts},
          {"level", c.level}, {"data", Base64Encode(c.data)}};
}

std::string LogMessageText(const LogChunk& c) {
  std::string text;
  text.reserve(200 + c.data.size() / 3 * 4 + 4);
  text += R"({"type":"log","session_id":)" + json(c.session_id).dump();
  text += R"(,"seq":)" + std::to_string(c.seq);
  text += R"(,"offset":)" + std::to_string(c.offset);
  text += R"(,"timestamp":")" + Rfc3339(c.ts);
  text += R"(","ts_ms":)" + std::to_string(c.ts);
  text += R"(,"level":)" + json(c.level).dump();
  text += R"(,"data":")" + Base64Encode(c.data) + "\"}";
  return text;
}

int HttpStatusFor(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kInvalidArgument:
      return e.code == "bad_request" || e.code == "bad_json" || e.code == "bad_field" ? 400 : 422;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kConflict: return 409;
    case ErrorKind::kUnavailable: return 503;
    case ErrorKind::kInternal: return 500;
  }
  return 500;
}

ApiResponse JsonResponse(int status, const json& body) {
  ApiResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

ApiResponse ErrorResponse(const Error& e) {
  return JsonResponse(HttpStatusFor(e), {{"error", {{"code", e.code}, {"message", e.message}}}});
}

Api::Api(SessionManager& manager) : manager_(manager), started_ms_(NowMs()) {}

ApiResponse Api::Handle(const ApiRequest& req) {
  try {
    auto url = boost::urls::parse_origin_form(req.target);
    if (!url) return ErrorResponse(BadRequest("malformed request target"));
    std::vector<std::string> parts;
    for (auto seg : url->segments()) parts.push_back(std::string(seg));
    std::map<std::string, std::string> q;
    for (auto p : url->params()) q[std::string(p.key)] = std::string(p.value);
    const std::string& m = req.method;
    auto not_found = [&] {
      return ErrorResponse(Error::NotFound("no_route", "no such API route: " + m + " " + std::string(url->path())));
    };
    auto parse_body = [&]() -> Result<json> {
      if (req.body.empty()) return json::object();
      json body = json::parse(req.body, nullptr, false);
      if (body.is_discarded()) return Error::InvalidArgument("bad_json", "the request body is not valid JSON");
      if (!body.is_object()) return Error::InvalidArgument("bad_json", "the request body must be a JSON object");
      return body;
    };
    if (parts.size() < 2 || parts[0] != "api") return not_found();

    if (parts.size() == 2 && parts[1] == "health" && m == "GET") {
      return JsonResponse(200, {{"status", "ok"}, {"version", kAgentmuxVersion}, {"protocol", kProtocolVersion},
                                {"pid", ::getpid()}, {"uptime_ms", NowMs() - started_ms_},
                                {"sessions_live", manager_.live_count()},
                                {"schema_version", manager_.store().schema_version()},
                                {"store_integrity", manager_.store().integrity()},
                                // "ok", or why nothing can be written now ("disk full: …"): agents'
                                // output is held back (not lost) until it clears.
                                {"store", manager_.store().health()}});
    }
    if (parts.size() == 2 && parts[1] == "tools" && m == "GET") {
      json tools = json::array();
      for (const auto* a : manager_.adapters().All()) {
        ToolInfo t = a->Inspect(manager_.path_env());
        tools.push_back({{"name", t.name}, {"available", t.available},
                         {"binary_path", t.binary_path ? json(*t.binary_path) : json(nullptr)},
                         {"version", t.version ? json(*t.version) : json(nullptr)},
                         {"install_hint", t.install_hint}, {"notes", t.notes}});
      }
      return JsonResponse(200, {{"tools", tools}});
    }
    if (parts.size() == 2 && parts[1] == "specs" && m == "GET") {
      auto project = StrParam(q, "project");
      if (!project) return ErrorResponse(Error::InvalidArgument("missing_project", "give ?project=PATH"));
      json specs = json::array();
      for (const auto& s : ListSpecs(*project)) specs.push_back(SpecToJson(s));
      return JsonResponse(200, {{"project", *project}, {"specs", specs}});
    }
    if (parts[1] != "sessions") return not_found();

    if (parts.size() == 2) {
      if (m == "GET") {
        SessionFilter f;
        f.status = StrParam(q, "status");
        f.tool = StrParam(q, "tool");
        f.spec = StrParam(q, "spec");
        f.project = StrParam(q, "project");
        f.before_id = StrParam(q, "cursor");
        f.limit = static_cast<int>(std::clamp<int64_t>(IntParam(q, "limit").value_or(100), 1, 1000));
        if (f.status && !ParseSessionStatus(*f.status))
          return ErrorResponse(Error::InvalidArgument("bad_status", "unknown status '" + *f.status + "'"));
        auto rows = manager_.List(f);
        json list = json::array();
        for (const auto& s : rows) list.push_back(ToJson(s));
        json out = {{"sessions", list}, {"next_cursor", nullptr}};
        // Clients show a banner while the store cannot write (issue 11: a full disk was silent).
        if (!manager_.store().writable()) out["store"] = manager_.store().health();
        if (static_cast<int>(rows.size()) == f.limit) out["next_cursor"] = rows.back().id;
        return JsonResponse(200, out);
      }
      if (m == "POST") {
        auto body = parse_body();
        if (!body.ok()) return ErrorResponse(body.error());
        auto create = ParseCreate(*body);
        if (!create.ok()) return ErrorResponse(create.error());
        bool start = create->start_requested;
        auto rec = manager_.Create(std::move(*create));
        if (!rec.ok()) return ErrorResponse(rec.error());
        if (start) {
          auto started = manager_.Start(rec->id);
          if (!started.ok()) {
            // Nothing ran: do not leave a pending session behind a failed create-and-start.
            (void)manager_.Delete(rec->id);
            return ErrorResponse(started.error());
          }
          return JsonResponse(201, ToJson(*started));
        }
        return JsonResponse(201, ToJson(*rec));
      }
      return not_found();
    }

    auto rec = manager_.Get(parts[2]);
    if (!rec.ok()) return ErrorResponse(rec.error());
    const std::string id = rec->id;
    if (parts.size() == 3) {
      if (m == "GET") return JsonResponse(200, ToJson(*rec, q.count("context") > 0));
      if (m == "DELETE") {
        if (auto st = manager_.Delete(id); !st.ok()) return ErrorResponse(st.error());
        return JsonResponse(200, {{"deleted", id}});
      }
      return not_found();
    }
    if (parts.size() != 4) return not_found();
    const std::string& action = parts[3];
    if (m == "POST" && (action == "continue" || action == "retry")) {
      auto body = parse_body();
      if (!body.ok()) return ErrorResponse(body.error());
      Result<SessionRecord> out = Error::Internal("unreachable");
      if (action == "retry") {
        out = manager_.Retry(id);
      } else {
        std::optional<std::string> prompt = Field<std::string>(*body, "prompt");
        std::string fallback = Field<std::string>(*body, "fallback").value_or("none");
        if (fallback != "none" && fallback != "fresh")
          return ErrorResponse(Error::InvalidArgument("bad_fallback", "fallback is 'fresh' or 'none'"));
        out = manager_.Continue(id, prompt, fallback == "fresh");
      }
      if (!out.ok()) return ErrorResponse(out.error());
      return JsonResponse(201, ToJson(*out));
    }
    if (m == "POST" && (action == "start" || action == "pause" || action == "resume" || action == "stop")) {
      Result<SessionRecord> out = Error::Internal("unreachable");
      if (action == "start") out = manager_.Start(id);
      if (action == "pause") out = manager_.Pause(id);
      if (action == "resume") out = manager_.Resume(id);
      if (action == "stop") {
        auto body = parse_body();
        if (!body.ok()) return ErrorResponse(body.error());
        std::optional<int64_t> grace = Field<int64_t>(*body, "grace_ms");
        if (grace && (*grace < 0 || *grace > 3'600'000))
          return ErrorResponse(Error::InvalidArgument("bad_field", "field 'grace_ms' must be 0 to 3600000 (ms)"));
        out = manager_.Stop(id, grace);
      }
      if (!out.ok()) return ErrorResponse(out.error());
      return JsonResponse(200, ToJson(*out));
    }
    if (m == "GET" && action == "events") {
      int64_t after = IntParam(q, "after_id").value_or(0);
      int limit = static_cast<int>(std::clamp<int64_t>(IntParam(q, "limit").value_or(1000), 1, 10000));
      json events = json::array();
      for (const auto& e : manager_.Events(id, after, limit)) events.push_back(ToJson(e));
      return JsonResponse(200, {{"session_id", id}, {"events", events}});
    }
    if (m == "GET" && action == "logs") {
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
      if (q.count("tail") && !chunks.empty()) {
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
        json c = ChunkToJson(*chunks[i]);
        if (i == 0 && skip > 0) {
          c["data"] = Base64Encode(std::string_view(chunks[i]->data).substr(skip));
          c["offset"] = chunks[i]->offset + static_cast<int64_t>(skip);
        }
        list.push_back(std::move(c));
      }
      return JsonResponse(200, {{"session_id", id}, {"status", status}, {"chunks", list}, {"last_seq", last_seq},
                                {"log_seq", current.ok() ? current->log_seq : 0}});
    }
    return not_found();
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

}  // namespace agentmux

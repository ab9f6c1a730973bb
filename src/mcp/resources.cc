#include "mcp/resources.h"

#include <boost/asio/steady_timer.hpp>

#include "api/api.h"
#include "mcp/tools.h"
#include "session/manager.h"
#include "workflow/plan_text.h"

namespace agentmux::mcp {
using nlohmann::json;

namespace {

constexpr const char* kPrefix = "agentmux://sessions/";

struct Parsed {
  std::string id;
  bool log = false;
};

Result<Parsed> ParseUri(const std::string& uri) {
  std::string p(kPrefix);
  if (uri.rfind(p, 0) != 0 || uri.size() == p.size())
    return Error::InvalidArgument("bad_uri", "not an agentmux resource: " + uri.substr(0, 200) +
                                                 " (agentmux://sessions/{id} or agentmux://sessions/{id}/log)");
  Parsed out;
  out.id = uri.substr(p.size());
  if (out.id.size() > 4 && out.id.substr(out.id.size() - 4) == "/log") {
    out.log = true;
    out.id.resize(out.id.size() - 4);
  }
  if (out.id.empty() || out.id.find('/') != std::string::npos)
    return Error::InvalidArgument("bad_uri", "not an agentmux resource: " + uri.substr(0, 200));
  return out;
}

}  // namespace

json ResourceTemplates() {
  return json::array({{{"uriTemplate", "agentmux://sessions/{id}"},
                       {"name", "session"},
                       {"title", "An agentmux session"},
                       {"description", "The session's record: status, tool, project, tokens, cost, exit"},
                       {"mimeType", "application/json"}},
                      {{"uriTemplate", "agentmux://sessions/{id}/log"},
                       {"name", "session-log"},
                       {"title", "An agentmux session's output"},
                       {"description", "What the session printed (last 2,000 lines, escapes removed)"},
                       {"mimeType", "text/plain"}}});
}

json SessionResources(SessionManager& manager) {
  SessionFilter f;
  f.limit = 50;
  json out = json::array();
  for (const auto& s : manager.List(f)) {
    std::string label = s.name.empty() ? ShortId(s.id) : s.name;
    out.push_back({{"uri", kPrefix + s.id},
                   {"name", "session " + label},
                   {"description", s.tool + " · " + std::string(ToString(s.status)) + " · " + s.project_path},
                   {"mimeType", "application/json"}});
    out.push_back({{"uri", kPrefix + s.id + "/log"},
                   {"name", "log of " + label},
                   {"mimeType", "text/plain"},
                   {"size", s.log_bytes}});
  }
  return out;
}

Result<json> ReadSessionResource(SessionManager& manager, Api& api, const std::string& uri) {
  auto parsed = ParseUri(uri);
  if (!parsed.ok()) return parsed.error();
  auto s = manager.Get(parsed->id);
  if (!s.ok()) return Error::NotFound("resource_not_found", "no session " + parsed->id + ": " + s.error().message);
  if (!parsed->log)
    return json::array({{{"uri", uri},
                         {"mimeType", "application/json"},
                         {"text", SessionJson(*s, manager.adapters()).dump(-1, ' ', false, json::error_handler_t::replace)}}});
  ApiResponse r = Finished(api.Handle({"GET", "/api/sessions/" + s->id + "/logs?format=raw&tail=2000", ""}));
  std::string text = r.status == 200 ? TailLines(r.body, 2000, 256 * 1024) : "";
  return json::array({{{"uri", uri}, {"mimeType", "text/plain"}, {"text", text}}});
}

struct Subscriptions::Watch : SessionObserver, std::enable_shared_from_this<Watch> {
  Watch(boost::asio::io_context& io, std::string uri, bool log, std::function<void(const std::string&)> changed)
      : timer(io), uri(std::move(uri)), log(log), changed(std::move(changed)) {}
  void OnLog(const LogChunkPtr&) override {
    if (log) Touch();
  }
  void OnStatus(const SessionRecord&) override { Touch(); }
  void OnEvent(const EventRecord&) override {
    if (!log) Touch();
  }
  // At most one notification per 250 ms: the first change arms the timer, the rest ride along.
  void Touch() {
    if (armed) return;
    armed = true;
    timer.expires_after(std::chrono::milliseconds(250));
    timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto w = weak.lock();
      if (ec || !w) return;
      w->armed = false;
      w->changed(w->uri);
    });
  }
  boost::asio::steady_timer timer;
  std::string uri;
  bool log;
  std::function<void(const std::string&)> changed;
  bool armed = false;
  ObserverHandle handle;
};

Subscriptions::Subscriptions(boost::asio::io_context& io, SessionManager& manager) : io_(io), manager_(manager) {}

Subscriptions::~Subscriptions() = default;

Status Subscriptions::Add(const std::string& uri, std::function<void(const std::string&)> changed) {
  auto parsed = ParseUri(uri);
  if (!parsed.ok()) return parsed.error();
  auto s = manager_.Get(parsed->id);
  if (!s.ok()) return Error::NotFound("resource_not_found", "no session " + parsed->id + ": " + s.error().message);
  auto w = std::make_shared<Watch>(io_, uri, parsed->log, std::move(changed));
  w->handle = manager_.Observe(s->id, w.get());
  watches_[uri] = w;
  return OkStatus();
}

void Subscriptions::Remove(const std::string& uri) { watches_.erase(uri); }

}  // namespace agentmux::mcp

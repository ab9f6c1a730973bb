// A tools/call in flight (tools.h), waiting for a session, and the helpers the tool sets share.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "api/api.h"
#include "mcp/protocol.h"
#include "mcp/tools.h"
#include "session/manager.h"

namespace agentmux::mcp {
using nlohmann::json;

void Call::Progress(double progress, std::optional<double> total, const std::string& message) {
  if (done_ || progress_token.is_null() || !notify || progress <= last_progress_) return;
  last_progress_ = progress;
  json params = {{"progressToken", progress_token}, {"progress", progress}};
  if (total) params["total"] = *total;
  if (!message.empty()) params["message"] = message;
  notify(Notification("notifications/progress", std::move(params)));
}

void Call::Finish(json structured, const std::string& text) {
  if (done_) return;
  done_ = true;
  std::string shown = text.empty() ? structured.dump(-1, ' ', false, json::error_handler_t::replace) : text;
  if (reply)
    reply({{"content", {{{"type", "text"}, {"text", shown}}}}, {"structuredContent", std::move(structured)}, {"isError", false}});
}

void Call::Fail(const Error& error) {
  if (done_) return;
  done_ = true;
  if (reply) reply({{"content", {{{"type", "text"}, {"text", error.code + ": " + error.message}}}}, {"isError", true}});
}

void Call::Cancel() {
  if (done_) return;
  done_ = cancelled_ = true;
  if (auto f = std::move(on_cancel_)) f();
  if (auto f = std::move(ended)) f();
}

Result<json> ApiJson(Api& api, const std::string& method, const std::string& target, const json& body) {
  ApiResponse r = Finished(api.Handle({method, target, body.is_null() ? "" : body.dump()}));
  json parsed = json::parse(r.body, nullptr, false);
  if (r.status >= 200 && r.status < 300) {
    if (parsed.is_discarded()) return Error::Internal("the API answered " + target + " with something not JSON");
    return parsed;
  }
  if (!parsed.is_discarded() && parsed.contains("error") && parsed["error"].is_object()) {
    const json& e = parsed["error"];
    ErrorKind kind = r.status == 404   ? ErrorKind::kNotFound
                     : r.status == 409 ? ErrorKind::kConflict
                     : r.status == 503 ? ErrorKind::kUnavailable
                     : r.status >= 500 ? ErrorKind::kInternal
                                       : ErrorKind::kInvalidArgument;
    return Error{kind, e.value("code", "error"), e.value("message", r.body)};
  }
  return Error::Internal("the API answered " + target + " with HTTP " + std::to_string(r.status));
}

json ObjectSchema(json props, std::vector<std::string> required) {
  json s = {{"type", "object"}, {"properties", std::move(props)}, {"additionalProperties", false}};
  if (!required.empty()) s["required"] = std::move(required);
  return s;
}
json StringSchema(const std::string& d) { return {{"type", "string"}, {"description", d}}; }
json IntegerSchema(const std::string& d, int64_t min) { return {{"type", "integer"}, {"minimum", min}, {"description", d}}; }
json BooleanSchema(const std::string& d) { return {{"type", "boolean"}, {"description", d}}; }
json StringListSchema(const std::string& d) {
  return {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", d}};
}
json OutputSchema(std::vector<std::string> required) {
  json p = json::object();
  for (const auto& k : required) p[k] = json::object();
  return {{"type", "object"}, {"properties", std::move(p)}, {"required", std::move(required)}};
}

std::string ClientPath(const Client& client, const std::string& path) {
  if (path.empty() || path[0] == '/' || client.cwd.empty()) return path;
  return client.cwd + "/" + path;
}

std::string QueryEscape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') out += static_cast<char>(c);
    else out += std::string("%") + hex[c >> 4] + hex[c & 15];
  }
  return out;
}

namespace {

// Follows one session for one call: its status changes end the wait at once; a one-second tick
// sends progress and checks the deadline and that the client still listens.
class Waiter : public SessionObserver, public std::enable_shared_from_this<Waiter> {
 public:
  Waiter(ToolDeps deps, CallPtr call, std::string id, int64_t timeout_ms,
         std::function<void(json, bool)> done)
      : deps_(deps), call_(std::move(call)), id_(std::move(id)), timer_(deps.io), done_(std::move(done)),
        started_(std::chrono::steady_clock::now()), deadline_(started_ + std::chrono::milliseconds(timeout_ms)) {}

  void Begin() {
    handle_ = deps_.manager.Observe(id_, this);
    std::weak_ptr<Waiter> weak = shared_from_this();
    call_->OnCancel([weak] {
      if (auto w = weak.lock()) w->End();
    });
    self_ = shared_from_this();  // alive until End()
    Check(false);
    if (self_) Tick();
  }

  void OnLog(const LogChunkPtr&) override {}
  void OnEvent(const EventRecord&) override {}
  void OnStatus(const SessionRecord& s) override {
    if (!IsTerminal(s.status)) return;
    // Not inside the bus's delivery: ending unregisters this observer.
    boost::asio::post(deps_.io, [weak = std::weak_ptr<Waiter>(shared_from_this())] {
      if (auto w = weak.lock(); w && w->self_) w->Check(false);
    });
  }

 private:
  void Tick() {
    // Each second (progress), or at the deadline if that comes first.
    auto next = std::min(std::chrono::steady_clock::now() + std::chrono::seconds(1), deadline_);
    timer_.expires_at(next);
    std::weak_ptr<Waiter> weak = shared_from_this();
    timer_.async_wait([weak](const boost::system::error_code& ec) {
      auto w = weak.lock();
      if (ec || !w || !w->self_) return;
      if (w->call_->client_gone()) {
        w->call_->Cancel();  // ends the waiter through OnCancel
        return;
      }
      bool late = std::chrono::steady_clock::now() >= w->deadline_;
      w->Check(late);
      if (w->self_) w->Tick();
    });
  }

  void Check(bool timed_out) {
    auto s = deps_.manager.Get(id_);
    if (!s.ok()) {
      call_->Fail(s.error());
      return End();
    }
    if (IsTerminal(s->status) || timed_out) {
      auto done = std::move(done_);
      json session = SessionJson(*s, deps_.manager.adapters());
      End();
      if (done) done(session, !IsTerminal(s->status));
      return;
    }
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    std::string message = std::string(ToString(s->status)) + " · " + std::to_string(s->log_bytes) + " bytes of output";
    if (s->num_turns) message += " · " + std::to_string(*s->num_turns) + " turns";
    call_->Progress(elapsed > 0 ? elapsed : 0.001, std::nullopt, message);
  }

  void End() {
    timer_.cancel();
    handle_ = ObserverHandle();
    auto keep = std::move(self_);
  }

  ToolDeps deps_;
  CallPtr call_;
  std::string id_;
  boost::asio::steady_timer timer_;
  std::function<void(json, bool)> done_;
  std::chrono::steady_clock::time_point started_, deadline_;
  ObserverHandle handle_;
  std::shared_ptr<Waiter> self_;
};

}  // namespace

void WaitForSession(ToolDeps deps, const CallPtr& call, const std::string& id, int64_t timeout_ms,
                    std::function<void(json session, bool timed_out)> done) {
  auto s = deps.manager.Get(id);
  if (!s.ok()) return call->Fail(s.error());
  timeout_ms = std::clamp<int64_t>(timeout_ms, 1, 24LL * 3600 * 1000);
  auto waiter = std::make_shared<Waiter>(deps, call, s->id, timeout_ms, std::move(done));
  waiter->Begin();
}

}  // namespace agentmux::mcp

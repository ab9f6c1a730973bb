// One WebSocket client of the stream protocol (docs/api.md, DESIGN §6): subscribe with
// since_seq → replay from the store, then live, every log message with its seq (and, asked for,
// the session's transcript items: api/transcript_stream.h); a bounded send
// queue (a client too far behind is told to `resync` and catches up from the store); watch for
// every session's status; input and resize for attached terminals. Subscriptions are handles
// (session/bus.h). Lives as long as its coroutine or a pending write holds it.
// Threading: the loop thread only. Beast lives in src/net/ only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "api/api.h"
#include "api/stream_protocol.h"
#include "api/transcript_stream.h"
#include "base/clock.h"
#include "model/state.h"
#include "net/server.h"
#include "session/manager.h"

namespace agentmux {
namespace net_detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using nlohmann::json;

inline constexpr size_t kPageChunks = 64;
inline constexpr size_t kPageBytes = 1u << 20;

inline json StatusMessage(const SessionRecord& s, const AdapterRegistry& adapters) {
  return {{"type", "status"}, {"session_id", s.id}, {"status", ToString(s.status)}, {"log_seq", s.log_seq},
          {"exit_code", s.exit_code ? json(*s.exit_code) : json(nullptr)},
          {"signal", s.signal ? json(*s.signal) : json(nullptr)}, {"session", SessionJson(s, adapters)}};
}

// Every subscriber of a chunk gets the same text (OnLog runs for each in turn on the loop thread),
// so the last chunk's is kept: N subscribers cost one encoding.
inline std::shared_ptr<const std::string> SharedLogMessageText(const LogChunkPtr& c) {
  static LogChunkPtr last_chunk;
  static std::shared_ptr<const std::string> last_text;
  if (last_chunk != c) {
    last_text = std::make_shared<const std::string>(LogMessageText(*c));
    last_chunk = c;
  }
  return last_text;
}

// One WebSocket client. Lives as long as a coroutine or a pending write holds it.
template <typename Socket>
class WsSession : public SessionObserver, public std::enable_shared_from_this<WsSession<Socket>> {
 public:
  WsSession(websocket::stream<Socket> ws, SessionManager& manager, const ServerOptions& options)
      : ws_(std::move(ws)), manager_(manager), options_(options) {}

  ~WsSession() override = default;  // the handles unregister (or not, if the manager is gone)

  asio::awaitable<void> Run(http::request<http::string_body> req, std::optional<std::pair<std::string, int64_t>> auto_sub) {
    ws_.read_message_max(options_.max_ws_message_bytes);
    // A handshake that never completes is cut after 30 s; an open stream may stay idle (the UI).
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    // Browsers offer the token as a subprotocol; a server must echo one it accepts.
    bool offered_v1 = std::string(req[http::field::sec_websocket_protocol]).find("agentmux.v1") != std::string::npos;
    ws_.set_option(websocket::stream_base::decorator([offered_v1](websocket::response_type& res) {
      res.set(http::field::server, std::string("agentmux/") + kAgentmuxVersion);
      if (offered_v1) res.set(http::field::sec_websocket_protocol, "agentmux.v1");
    }));
    co_await ws_.async_accept(req, asio::use_awaitable);
    Send({{"type", "hello"}, {"protocol", kProtocolVersion}, {"version", kAgentmuxVersion}});
    if (auto_sub) Subscribe(auto_sub->first, auto_sub->second, true, false);
    beast::flat_buffer buf;
    for (;;) {
      buf.clear();
      co_await ws_.async_read(buf, asio::use_awaitable);
      HandleMessage(beast::buffers_to_string(buf.data()));
    }
  }

  void OnLog(const LogChunkPtr& chunk) override {
    auto it = subs_.find(chunk->session_id);
    if (it == subs_.end() || !it->second.live || !it->second.wants_chunks()) return;
    Sub& sub = it->second;
    if (chunk->seq != sub.next_seq) {  // never skip: fall back to reading from the store
      sub.live = false;
      Pump();
      return;
    }
    if (queued_bytes_ > options_.ws_queue_high_bytes) {
      // Too far behind: stop queueing live output; catch up from the store as the queue drains.
      sub.live = false;
      Send({{"type", "resync"}, {"session_id", chunk->session_id}, {"from_seq", sub.next_seq}});
      return;
    }
    SendChunk(sub, chunk);
  }

  void OnStatus(const SessionRecord& s) override {
    if (auto it = subs_.find(s.id); it != subs_.end()) SendTranscriptStatus(it->second, s);
    Send(StatusMessage(s, manager_.adapters()));
  }

  void OnEvent(const EventRecord& e) override {
    json m = {{"type", "event"}, {"session_id", e.session_id}, {"event_type", e.type}, {"data", e.data},
              {"timestamp", Rfc3339(e.ts)}};
    if (e.id > 0) m["id"] = e.id;
    Send(m);
  }

  void OnDeleted(const std::string& id) override { Send({{"type", "deleted"}, {"session_id", id}}); }

  void Close() {
    closed_ = true;
    Unsubscribe();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).close(ec);
  }

 private:
  struct Sub {
    int64_t next_seq = 1;
    bool live = false;
    bool logs = true;  // false: no log messages
    int64_t since_seq = 0;  // the client has the log up to here: no log message for those chunks
    std::unique_ptr<TranscriptStream> transcript;  // fed from seq 1, when asked for
    ObserverHandle handle;
    bool wants_chunks() const { return logs || transcript; }
  };

  void Error(const std::string& code, const std::string& message, const std::string& session_id = "") {
    json m = {{"type", "error"}, {"error", {{"code", code}, {"message", message}}}};
    if (!session_id.empty()) m["session_id"] = session_id;
    Send(m);
  }

  // Client messages are untrusted: decoded by ParseClientMessage (api/stream_protocol.h), which
  // type-checks every field; a bad one gets an `error` message, never a dropped connection.
  void HandleMessage(const std::string& text) {
    auto parsed = ParseClientMessage(text);
    if (!parsed.ok()) return Error(parsed.error().code, parsed.error().message);
    const ClientMessage& msg = *parsed;
    const std::string& type = msg.type;
    std::string sid = msg.session_id;
    if (sid.empty() && subs_.size() == 1) sid = subs_.begin()->first;
    if (type == "subscribe") {
      Subscribe(sid, msg.since_seq, msg.logs, msg.transcript);
    } else if (type == "watch") {
      watch_ = manager_.Watch(this);
    } else if (type == "unwatch") {
      watch_.reset();
    } else if (type == "unsubscribe") {
      subs_.erase(sid);
    } else if (type == "input") {
      if (auto st = manager_.WriteInput(sid, msg.data); !st.ok()) Error(st.error().code, st.error().message, sid);
    } else if (type == "resize") {
      int cols = msg.cols, rows = msg.rows;
      if (auto st = manager_.Resize(sid, static_cast<unsigned short>(cols), static_cast<unsigned short>(rows)); !st.ok())
        Error(st.error().code, st.error().message, sid);
    } else if (type == "ping") {
      Send({{"type", "pong"}});
    } else {
      Error("bad_message", "unknown message type '" + type + "'");
    }
  }

  void Subscribe(const std::string& id_or_prefix, int64_t since_seq, bool logs, bool transcript) {
    auto rec = manager_.Get(id_or_prefix);
    if (!rec.ok()) return Error(rec.error().code, rec.error().message, id_or_prefix.substr(0, 100));
    const std::string& id = rec->id;
    Sub& sub = subs_[id];
    if (!sub.handle) sub.handle = manager_.Observe(id, this);
    sub.since_seq = std::max<int64_t>(since_seq, 0);
    sub.next_seq = sub.since_seq + 1;
    sub.logs = logs;
    sub.transcript.reset();
    if (transcript) {
      if (auto builder = manager_.adapters().NewTranscriptBuilder(*rec)) {
        // Item indexes count from the start of the log: the builder reads it all, the chunks the
        // client has silently.
        sub.transcript = std::make_unique<TranscriptStream>(id, std::move(builder));
        sub.next_seq = 1;
      } else {
        Error("no_transcript", "session " + id + " (" + rec->tool + ", " + std::string(ToString(rec->mode)) +
                                   ") has no transcript: its output is a terminal stream (log messages carry it)",
                  id);
      }
    }
    sub.live = !sub.wants_chunks();
    SendTranscriptStatus(sub, *rec);
    Send(StatusMessage(*rec, manager_.adapters()));
    Pump();
  }

  void Unsubscribe() {
    subs_.clear();  // each handle unregisters
    watch_.reset();
  }

  // Moves lagging or replaying subscriptions forward from the store while the queue has room;
  // one that reaches the head goes live. Runs on the loop thread, so no chunk can arrive between
  // "the store has nothing more" and "live".
  void Pump() {
    for (auto& [id, sub] : subs_) {
      while (sub.wants_chunks() && !sub.live && queued_bytes_ < options_.ws_queue_high_bytes / 2) {
        auto chunks = manager_.ReadLogs(id, sub.next_seq - 1, kPageChunks, kPageBytes);
        if (chunks.empty()) {
          sub.live = true;
          break;
        }
        for (const auto& c : chunks) SendChunk(sub, c);
      }
    }
  }

  // A chunk in seq order: its transcript message (when asked for and it changed anything), then
  // its log message — so a client that has log N has every transcript update up to N. Chunks the
  // client had (seq ≤ since_seq) only feed the transcript.
  void SendChunk(Sub& sub, const LogChunkPtr& c) {
    bool had = c->seq <= sub.since_seq;
    if (sub.transcript)
      if (auto msg = sub.transcript->Chunk(*c, had)) SendText(std::move(msg));
    if (sub.logs && !had) SendText(SharedLogMessageText(c));
    sub.next_seq = c->seq + 1;
  }

  // Before a status message: a session that ended gets the rest of its transcript first.
  void SendTranscriptStatus(Sub& sub, const SessionRecord& s) {
    if (!sub.transcript) return;
    if (auto msg = sub.transcript->Status(IsTerminal(s.status), s.log_seq)) SendText(std::move(msg));
  }

  void Send(const json& msg) {
    SendText(std::make_shared<const std::string>(msg.dump(-1, ' ', false, json::error_handler_t::replace)));
  }

  void SendText(std::shared_ptr<const std::string> text) {
    queued_bytes_ += text->size();
    queue_.push_back(std::move(text));
    if (!writing_) DoWrite();
  }

  void DoWrite() {
    if (queue_.empty() || closed_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    ws_.text(true);
    auto self = this->shared_from_this();
    ws_.async_write(asio::buffer(*queue_.front()), [self](beast::error_code ec, size_t) {
      self->queued_bytes_ -= self->queue_.front()->size();
      self->queue_.pop_front();
      if (ec) {
        self->closed_ = true;
        self->writing_ = false;
        self->queue_.clear();
        self->queued_bytes_ = 0;
        self->Unsubscribe();
        return;
      }
      self->Pump();
      self->DoWrite();
    });
  }

  websocket::stream<Socket> ws_;
  SessionManager& manager_;
  const ServerOptions& options_;
  std::map<std::string, Sub> subs_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  ObserverHandle watch_;
};

}  // namespace net_detail
}  // namespace agentmux
